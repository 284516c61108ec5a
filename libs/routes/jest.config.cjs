module.exports = {
  displayName: 'routes',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/routes',
};
