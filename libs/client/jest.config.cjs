module.exports = {
  displayName: 'client',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/client',
};
