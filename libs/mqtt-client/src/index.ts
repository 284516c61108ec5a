export * from './lib/mqtt-requester';
export * from './lib/device-requester';
