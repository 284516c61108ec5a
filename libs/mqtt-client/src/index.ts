export * from './lib/mqtt-requester';
