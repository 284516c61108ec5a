import {
  allowsCommand,
  encodeLegacyAnswer,
  parseDeviceTopic,
  parseLegacyAnswer,
  parseV5Answer,
} from './device-command';

describe('the device command contract', () => {
  it('splits command, answer and status topics, and refuses anything else', () => {
    expect(parseDeviceTopic('things', 'things/sensor-7/commands/reboot')).toEqual({
      kind: 'commands',
      device: 'sensor-7',
      name: 'reboot',
    });
    expect(parseDeviceTopic('things', 'things/sensor-7/command-replies/reboot')).toMatchObject({
      kind: 'command-replies',
    });
    expect(parseDeviceTopic('things', 'things/sensor-7/status')).toEqual({
      kind: 'status',
      device: 'sensor-7',
    });
    for (const topic of [
      'other/sensor-7/status',
      'things/+/status',
      'things/sensor-7/commands/a/b',
      'things/sensor-7/replies/x',
      'things/$x/commands/y',
    ]) {
      expect([topic, parseDeviceTopic('things', topic)]).toEqual([topic, undefined]);
    }
  });

  it('reads the 3.1.1 answer forms and nothing looser', () => {
    const ok = Buffer.from(encodeLegacyAnswer('c1', { ok: true, data: { up: 1 } }));
    expect(parseLegacyAnswer(ok)).toEqual({ id: 'c1', outcome: { ok: true, data: { up: 1 } } });
    const failed = Buffer.from('{"id":"c1","error":{"code":"E\\u0000","message":"no"}}');
    expect(parseLegacyAnswer(failed)).toEqual({
      id: 'c1',
      outcome: { ok: false, error: { code: 'E?', message: 'no' } },
    });
    for (const bad of [
      '{"data":1}',
      '{"id":"c1","data":1,"x":2}',
      '{"id":"c1","error":"x"}',
      'nope',
    ]) {
      expect([bad, parseLegacyAnswer(Buffer.from(bad))]).toEqual([bad, undefined]);
    }
  });

  it('reads an MQTT 5 answer, and its error only with the error property', () => {
    expect(parseV5Answer(Buffer.from('{"a":1}'), undefined)).toEqual({ ok: true, data: { a: 1 } });
    expect(parseV5Answer(Buffer.alloc(0), undefined)).toEqual({ ok: true, data: null });
    expect(parseV5Answer(Buffer.from('{"code":"E","message":"m"}'), 'true')).toEqual({
      ok: false,
      error: { code: 'E', message: 'm' },
    });
    expect(parseV5Answer(Buffer.from('{"a":1}'), 'true')).toBeUndefined();
    expect(parseV5Answer(Buffer.from([0xff, 0xfe]), undefined)).toBeUndefined();
  });

  it('allows a command by the broad scope or one narrowed to the device or the command', () => {
    expect(allowsCommand(['devices:command'], 'd', 'c')).toBe(true);
    expect(allowsCommand(['devices:command:d'], 'd', 'c')).toBe(true);
    expect(allowsCommand(['devices:command:d:c'], 'd', 'c')).toBe(true);
    expect(allowsCommand(['devices:command:*:c'], 'd', 'c')).toBe(true);
    expect(allowsCommand(['devices:command:d:c'], 'd', 'other')).toBe(false);
    expect(allowsCommand(['devices:command:e'], 'd', 'c')).toBe(false);
    expect(allowsCommand(['admin', 'devices:read'], 'd', 'c')).toBe(false);
  });
});
