module.exports = {
  displayName: 'balancing',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/balancing',
};
