export * from './lib/mosquitto';
