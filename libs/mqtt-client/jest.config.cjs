module.exports = {
  displayName: 'mqtt-client',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/mqtt-client',
};
