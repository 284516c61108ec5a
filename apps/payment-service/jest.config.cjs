module.exports = {
  displayName: 'payment-service',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/apps/payment-service',
};
