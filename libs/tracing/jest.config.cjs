module.exports = {
  displayName: 'tracing',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/tracing',
};
