import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { MAX_LOG_TEXT_CHARS, PinoNestLogger, createLogger } from './logger';
import { forRequest } from './for-request';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe('logging', () => {
  it('writes JSON lines with level, app, context, and the request id when given', () => {
    const { lines, stream } = capture();
    const nest = new PinoNestLogger(createLogger('gateway', 'log', stream));
    nest.log('outside', 'Transport');
    nest.warn(forRequest('req-1', 'inside'), 'Auth');
    nest.debug('hidden at level log', 'X');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        app: 'gateway',
        context: 'Transport',
        msg: 'outside',
      }),
      expect.objectContaining({
        level: 'warn',
        context: 'Auth',
        msg: 'inside',
        request_id: 'req-1',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('request_id');
  });

  it('writes the trace and span ids of a traced request on its lines', () => {
    const { lines, stream } = capture();
    const nest = new PinoNestLogger(createLogger('gateway', 'log', stream));
    const ids = { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' };
    nest.warn(forRequest('req-2', 'traced', ids), 'Transport');
    nest.warn(forRequest('req-3', 'untraced'), 'Transport');
    expect(lines[0]).toMatchObject({ request_id: 'req-2', msg: 'traced', ...ids });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('masks the credentials of any URL, in messages, fields and error stacks', () => {
    const { lines, stream } = capture();
    const nest = new PinoNestLogger(createLogger('gateway', 'log', stream));
    nest.log('connecting to mqtt://gateway:s3cret@broker:1883', 'Transport');
    nest.error(new Error('redis://default:hunter2@r:6379 refused'), 'State');
    nest.warn({ url: 'mqtts://u:p@b', note: 'x' }, 'X');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/s3cret|hunter2|u:p@/);
    expect(lines[0]['msg']).toBe('connecting to mqtt://***@broker:1883');
    expect(lines[2]['url']).toBe('mqtts://***@b');
  });

  it('serves as the Nest logger, errors with their stack', () => {
    const { lines, stream } = capture();
    Logger.overrideLogger(new PinoNestLogger(createLogger('svc', 'verbose', stream)));
    new Logger('Ctx').error('boom', 'Error: boom\n    at x');
    Logger.overrideLogger(false);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'boom',
      context: 'Ctx',
      stack: 'Error: boom\n    at x',
    });
  });

  it('clips long messages and stacks, however they are logged', () => {
    const { lines, stream } = capture();
    const nest = new PinoNestLogger(createLogger('gateway', 'log', stream));
    const topic = `api/${'t'.repeat(65_000)}`;
    nest.warn(`dropped request on ${topic}`, 'Transport');
    nest.warn(forRequest('r1', `request on ${topic} failed`), 'Transport');
    nest.error(`failed on ${topic}`, `Error: ${topic}\n    at x`, 'Transport');
    expect(lines).toHaveLength(3);
    for (const line of lines)
      expect(JSON.stringify(line).length).toBeLessThan(2 * MAX_LOG_TEXT_CHARS + 500);
    expect(lines[0]['msg']).toMatch(/clipped from 65023 characters\)$/);
    expect(lines[1]).toMatchObject({ request_id: 'r1' });
  });

  it('is silent when asked', () => {
    const { lines, stream } = capture();
    new PinoNestLogger(createLogger('svc', 'silent', stream)).error('nothing');
    expect(lines).toEqual([]);
  });
});
