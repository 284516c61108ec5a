import { Writable } from 'node:stream';
import { LOG_FORMATS, chooseLogFormat, isCi } from './log-format';
import { PinoNestLogger, createLogger } from './logger';
import { forRequest } from './for-request';

function capture() {
  const text: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      text.push(chunk.toString());
      done();
    },
  });
  return { text, stream };
}

const ESC = '\u001b[';

describe('the log format', () => {
  it.each([
    ['a terminal in development', undefined, { tty: true, production: false, ci: false }, 'pretty'],
    ['a pipe or a file', undefined, { tty: false, production: false, ci: false }, 'json'],
    [
      'production, even at a terminal',
      undefined,
      { tty: true, production: true, ci: false },
      'json',
    ],
    ['CI, even at a terminal', undefined, { tty: true, production: false, ci: true }, 'json'],
    ['LOG_FORMAT=json at a terminal', 'json', { tty: true, production: false, ci: false }, 'json'],
    [
      'LOG_FORMAT=pretty into a pipe',
      'pretty',
      { tty: false, production: false, ci: false },
      'pretty',
    ],
  ] as const)('is chosen for %s', (_where, asked, surroundings, format) => {
    expect(chooseLogFormat(asked, surroundings)).toBe(format);
  });

  it('reads CI as CI systems set it', () => {
    expect([undefined, '', 'false', '0', 'true', '1', 'woodpecker'].map(isCi)).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(LOG_FORMATS).toEqual(['json', 'pretty']);
  });

  it('writes pretty as one coloured line per event, context first, credentials still masked', async () => {
    const { text, stream } = capture();
    const nest = new PinoNestLogger(createLogger('gateway', 'log', stream, 'pretty'));
    nest.warn(forRequest('req-1', 'refused (token expired) on api/v1/x'), 'Auth');
    nest.log('broker at mqtt://gw:hunter2@127.0.0.1:1883', 'Transport');
    const lines = text.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    const plain = lines.map((line) => line.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(plain[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \[Auth\] refused \(token expired\) on api\/v1\/x \{"request_id":"req-1"\}$/,
    );
    expect(plain[1]).toMatch(/INFO: \[Transport\] broker at mqtt:\/\/\*\*\*@127\.0\.0\.1:1883$/);
    expect(lines[0]).toContain(ESC);
    expect(text.join('')).not.toContain('hunter2');
  });

  it('prints a routes array under its message as a table, in pretty', () => {
    const { text, stream } = capture();
    const logger = createLogger('gateway', 'log', stream, 'pretty');
    logger.info({ msg: 'routes abc: 1 routes', routes: ['topic  qos', 'a/b    1'] });
    const plain = text.join('').replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/INFO: routes abc: 1 routes\n {4}topic {2}qos\n {4}a\/b {4}1\n$/);
  });
});
