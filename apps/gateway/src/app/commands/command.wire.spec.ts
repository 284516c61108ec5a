import { encodeLegacyAnswer } from '@mqgw/contracts';
import type { InboundMessage } from './command.connection';
import { answerOf, commandMessage } from './command.wire';

describe('command wire forms', () => {
  const command = { device: 'sensor-7', name: 'reboot', id: `c${'a'.repeat(32)}`, data: { n: 1 } };
  const reply = (payload: string, extra: Partial<InboundMessage> = {}): InboundMessage => ({
    topic: 'things/sensor-7/command-replies/reboot',
    payload: Buffer.from(payload),
    retain: false,
    userProperties: {},
    ...extra,
  });

  it('sends an MQTT 5 device the bare data, the id as correlation data and a reply topic', () => {
    const message = commandMessage('things', command, true, 10);
    expect(message.topic).toBe('things/sensor-7/commands/reboot');
    expect(JSON.parse(message.payload)).toEqual({ n: 1 });
    expect(message.options.properties).toEqual({
      messageExpiryInterval: 10,
      contentType: 'application/json',
      responseTopic: 'things/sensor-7/command-replies/reboot',
      correlationData: Buffer.from(command.id),
    });
  });

  it('sends a 3.1.1 device the id inside the payload, and no MQTT 5 properties but expiry', () => {
    const message = commandMessage('things', command, false, 3600);
    expect(JSON.parse(message.payload)).toEqual({ id: command.id, data: { n: 1 } });
    expect(message.options.properties).toEqual({
      messageExpiryInterval: 3600,
      contentType: 'application/json',
    });
  });

  it('reads an MQTT 5 answer by its correlation data, and its error by the user property', () => {
    const correlationData = Buffer.from(command.id);
    expect(answerOf(reply('{"up":true}', { correlationData }))).toEqual({
      id: command.id,
      outcome: { ok: true, data: { up: true } },
    });
    const error = reply('{"code":"BUSY","message":"later"}', {
      correlationData,
      userProperties: { 'command-error': '1' },
    });
    expect(answerOf(error).outcome).toEqual({
      ok: false,
      error: { code: 'BUSY', message: 'later' },
    });
  });

  it('reads a 3.1.1 answer by the id in its payload', () => {
    const outcome = { ok: true as const, data: 7 };
    expect(answerOf(reply(encodeLegacyAnswer(command.id, outcome)))).toEqual({
      id: command.id,
      outcome,
    });
  });

  it('gives no outcome and an empty id for a payload that does not parse', () => {
    expect(answerOf(reply('not json'))).toEqual({ id: '', outcome: undefined });
  });
});
