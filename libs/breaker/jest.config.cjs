module.exports = {
  displayName: 'breaker',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/breaker',
};
