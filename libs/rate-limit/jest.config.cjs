module.exports = {
  displayName: 'rate-limit',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/rate-limit',
};
