export * from './lib/mqtt-requester';
export * from './lib/device-requester';
export * from './lib/simulated-device';
