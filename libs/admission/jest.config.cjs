module.exports = {
  displayName: 'admission',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  coverageDirectory: '../../coverage/libs/admission',
};
