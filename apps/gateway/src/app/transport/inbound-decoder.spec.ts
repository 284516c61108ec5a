import type { IPublishPacket } from 'mqtt';
import { readTraceContext } from '@mqgw/tracing';
import { DeviceNamespace } from './device-namespace';
import { InboundDecoder } from './inbound-decoder';
import { ReplyTopicPolicy } from './reply-topic.policy';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('InboundDecoder: the caller trace context', () => {
  const policy = new ReplyTopicPolicy(['api/v1/users/list'], ['api/#'], ['#']);
  const decoder = new InboundDecoder(
    { maxPayloadBytes: 10_000, devices: new DeviceNamespace('things', 'gateway') },
    () => policy,
  );
  const packet = (properties: IPublishPacket['properties'] = {}) =>
    ({ cmd: 'publish', qos: 1, dup: false, retain: false, properties }) as IPublishPacket;
  const decode = (topic: string, body: unknown, properties?: IPublishPacket['properties']) =>
    decoder.decode(topic, Buffer.from(JSON.stringify(body)), packet(properties), 0);

  it('reads traceparent and tracestate from MQTT 5 user properties', () => {
    const inbound = decode(
      'api/v1/users/list',
      {},
      {
        responseTopic: 'replies/me/1',
        userProperties: { TraceParent: TRACEPARENT, tracestate: 'vendor=1' },
      },
    );
    expect(inbound.trace).toEqual({ traceparent: TRACEPARENT, tracestate: 'vendor=1' });
  });

  it('reads a headers object in a NestJS envelope and in a device envelope', () => {
    const nest = decode('api/v1/users/list', {
      pattern: 'api/v1/users/list',
      id: 'n1',
      data: {},
      headers: { traceparent: TRACEPARENT },
    });
    expect(nest.problem).toBeUndefined();
    expect(nest.trace).toEqual({ traceparent: TRACEPARENT });
    const device = decode('things/sensor-7/api/v1/users/list', {
      id: 'd1',
      data: {},
      headers: { traceparent: TRACEPARENT },
    });
    expect(device.problem).toBeUndefined();
    expect(device.delivery).toMatchObject({ kind: 'enveloped', id: 'd1' });
    expect(device.trace).toEqual({ traceparent: TRACEPARENT });
  });

  it('keeps a malformed traceparent as sent: it parses to no parent, and the request is no error', () => {
    const inbound = decode(
      'api/v1/users/list',
      {},
      {
        responseTopic: 'replies/me/1',
        userProperties: { traceparent: 'garbage' },
      },
    );
    expect(inbound.problem).toBeUndefined();
    expect(readTraceContext(inbound.trace ?? {})).toBeUndefined();
  });

  it('has none when the request sends none', () => {
    expect(
      decode('api/v1/users/list', {}, { responseTopic: 'replies/me/1' }).trace,
    ).toBeUndefined();
    expect(
      decode('things/sensor-7/api/v1/users/list', { id: 'd2', headers: 'x' }).trace,
    ).toBeUndefined();
  });
});
