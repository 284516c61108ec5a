export * from './lib/mosquitto';
export * from './lib/dynsec';
export * from './lib/dynsec-admin';
