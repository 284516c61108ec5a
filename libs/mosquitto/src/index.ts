export * from './lib/mosquitto';
export * from './lib/broker-dir';
export * from './lib/dynsec';
export * from './lib/dynsec-admin';
