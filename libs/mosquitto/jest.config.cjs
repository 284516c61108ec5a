module.exports = {
  displayName: 'mosquitto',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/mosquitto',
};
