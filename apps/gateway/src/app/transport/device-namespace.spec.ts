import { routeTableOf, type RouteDefinition } from '@mqgw/routes';
import { DeviceNamespace, NamespaceConflictError, isDevicePrefix } from './device-namespace';
import { readDeviceEnvelope } from './inbound';

describe('DeviceNamespace', () => {
  const devices = new DeviceNamespace('things', 'gateway');

  it('subscribes to every route under <prefix>/+/', () => {
    expect(devices.filters(['api/v1/users/list', 'api/v1/users/get/+'])).toEqual([
      'things/+/api/v1/users/list',
      'things/+/api/v1/users/get/+',
    ]);
  });

  it('reads the device and the route topic, and names the reply topic', () => {
    expect(devices.parse('things/sensor-7/api/v1/users/list')).toEqual({
      device: 'sensor-7',
      routeTopic: 'api/v1/users/list',
      replyTopic: 'things/sensor-7/replies/api/v1/users/list',
    });
    expect(devices.parse('api/v1/users/list')).toBeUndefined();
    expect(devices.parse('thingsX/a/api')).toBeUndefined();
  });

  it.each([
    ['things//api/v1/users/list', 'not_a_device_name'],
    ['things/$SYS/api/v1/users/list', 'not_a_device_name'],
    ['things/+/api/v1/users/list', 'not_a_device_name'],
    ['things/#', 'not_a_device_name'],
    ['things/with space/api', 'not_a_device_name'],
    ['things/ünï/api', 'not_a_device_name'],
    ['things/gateway/api/v1/users/list', 'gateway_login'],
  ])('refuses the username level of %p (%s)', (topic, why) => {
    expect(devices.parse(topic)).toEqual({ invalid: why });
  });

  it('accepts an MQTT 5 responseTopic only inside the device’s own reply space', () => {
    const device = devices.parse('things/d1/api/v1/users/list') as never;
    expect(devices.checkReply(device, 'things/d1/replies/x/1')).toEqual({});
    expect(devices.checkReply(device, 'things/d1/replies/')).toEqual({ unsafe: 'not_allowed' });
    expect(devices.checkReply(device, 'things/d2/replies/x')).toEqual({ unsafe: 'not_allowed' });
    expect(devices.checkReply(device, 'replies/d1/x')).toEqual({ unsafe: 'not_allowed' });
    expect(devices.checkReply(device, 'things/d1/replies/#')).toEqual({ unsafe: 'invalid' });
  });

  it('refuses a route table whose first levels clash with the namespace', () => {
    const tableUnder = (prefix: string) =>
      routeTableOf([
        {
          group: { prefix, steps: [] },
          topic: 'x',
          qos: 1,
          handler: 'health',
        } satisfies RouteDefinition,
      ]);
    const devices = new DeviceNamespace('things');
    expect(() => devices.checkRoutes(tableUnder('api'))).not.toThrow();
    expect(() => devices.checkRoutes(tableUnder('things'))).toThrow(NamespaceConflictError);
    expect(() => devices.checkRoutes(tableUnder('things'))).toThrow(/also the first level/);
    expect(() => devices.checkRoutes(tableUnder('replies'))).toThrow(/devices' replies/);
  });

  it.each([
    ['things', true],
    ['dev-1.x', true],
    ['', false],
    ['a/b', false],
    ['+', false],
    ['$devices', false],
  ])('DEVICE_TOPIC_PREFIX %p is valid: %p', (prefix, ok) => {
    expect(isDevicePrefix(prefix)).toBe(ok);
  });
});

describe('readDeviceEnvelope', () => {
  it('reads id and data; data defaults to {}', () => {
    expect(readDeviceEnvelope({ id: 'a1', data: { x: 1 } })).toEqual({ id: 'a1', data: { x: 1 } });
    expect(readDeviceEnvelope({ id: 'a1' })).toEqual({ id: 'a1', data: {} });
    expect(readDeviceEnvelope({ data: { x: 1 } })).toEqual({ id: undefined, data: { x: 1 } });
    expect(readDeviceEnvelope(undefined)).toEqual({ id: undefined, data: {} });
  });

  it('answers an envelope with other fields as BAD_REQUEST, when it has an id to answer to', () => {
    const withId = readDeviceEnvelope({ id: 'a1', name: 'x' });
    expect(withId.id).toBe('a1');
    expect(withId.error).toMatchObject({ code: 'BAD_REQUEST' });
    const bad = readDeviceEnvelope({ id: 'has space' });
    expect([bad.id, bad.error?.code]).toEqual([undefined, 'BAD_REQUEST']);
    expect(() => readDeviceEnvelope([1])).toThrow('payload must be a JSON object');
  });
});
