export { mintDevToken } from './lib/dev-token';
