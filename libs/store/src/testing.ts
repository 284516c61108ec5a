export { describeKvStoreContract } from './lib/kv-store.contract';
