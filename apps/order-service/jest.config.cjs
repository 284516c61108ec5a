module.exports = {
  displayName: 'order-service',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/apps/order-service',
};
