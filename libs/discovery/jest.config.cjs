module.exports = {
  displayName: 'discovery',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/discovery',
};
