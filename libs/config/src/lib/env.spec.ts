import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  bool,
  custom,
  envNames,
  int,
  loadConfigOrExit,
  maybe,
  oneOf,
  readEnv,
  redactUrlCredentials,
  str,
  url,
} from './env';

const schema = {
  PORT: int({ default: 3000, min: 1, max: 65535 }),
  REDIS_URL: url({ default: 'redis://127.0.0.1:6379', protocols: ['redis:', 'rediss:'] }),
  MODE: oneOf(['open', 'closed'] as const, { default: 'open' }),
  DEBUG: bool({ default: false }),
  NAME: str(),
  GROUP: maybe(str()),
};

describe('readEnv', () => {
  it('applies defaults and parses values', () => {
    const env = readEnv(schema, { NAME: 'gw', PORT: '8080', DEBUG: 'yes' });
    expect(env).toEqual({
      PORT: 8080,
      REDIS_URL: 'redis://127.0.0.1:6379',
      MODE: 'open',
      DEBUG: true,
      NAME: 'gw',
      GROUP: undefined,
    });
  });

  it.each([
    ['PORT', 'abc', 'Invalid PORT: expected an integer from 1 to 65535, got "abc"'],
    ['PORT', '70000', 'Invalid PORT: expected an integer from 1 to 65535, got "70000"'],
    [
      'REDIS_URL',
      'http://x',
      'Invalid REDIS_URL: expected a URL (redis://, rediss://), got "http://x"',
    ],
    ['MODE', 'half', 'Invalid MODE: expected one of open, closed, got "half"'],
    ['DEBUG', 'maybe', 'Invalid DEBUG: expected true or false, got "maybe"'],
  ])('rejects %s=%s with a one-line message naming it', (name, value, message) => {
    const read = () => readEnv(schema, { NAME: 'gw', [name]: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
    expect(message).not.toContain('\n');
  });

  it('requires a variable without default', () => {
    expect(() => readEnv(schema, {})).toThrow('Invalid NAME: expected a non-empty string, got ""');
  });

  it('parses any other form with a function of the field’s own', () => {
    const schema = {
      LIST: custom(
        'a comma list of words',
        (raw) => {
          const words = raw.split(',');
          return words.every((w) => /^\w+$/.test(w)) ? words : undefined;
        },
        { default: ['a'] },
      ),
    };
    expect(readEnv(schema, {})).toEqual({ LIST: ['a'] });
    expect(readEnv(schema, { LIST: 'x,y' })).toEqual({ LIST: ['x', 'y'] });
    expect(() => readEnv(schema, { LIST: 'x,,y' })).toThrow(
      'Invalid LIST: expected a comma list of words, got "x,,y"',
    );
  });

  it('treats an empty variable as unset, for defaults and optional ones alike', () => {
    expect(readEnv(schema, { NAME: 'gw', PORT: '', GROUP: '' })).toMatchObject({
      PORT: 3000,
      GROUP: undefined,
    });
  });

  it('hides credentials in a rejected URL', () => {
    const read = () => readEnv(schema, { NAME: 'gw', REDIS_URL: 'http://user:hunter2@x' });
    expect(read).toThrow('got "http://***@x"');
    expect(read).not.toThrow(/hunter2/);
  });
});

describe('secrets', () => {
  const secrets = {
    TOKEN: str({ pattern: /^.{8,}$/, secret: true }),
    PASSWORD: maybe(str({ secret: true })),
  };

  it('never echoes a rejected secret', () => {
    const read = () => readEnv(secrets, { TOKEN: 'short' });
    expect(read).toThrow(
      'Invalid TOKEN: expected a string matching /^.{8,}$/, got a value that is not shown',
    );
    expect(read).not.toThrow(/short/);
  });

  it('reads a secret from <NAME>_FILE, without its final newline', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'env-')), 'token');
    writeFileSync(file, 'from-a-file-0123\n');
    expect(readEnv(secrets, { TOKEN_FILE: file })).toEqual({
      TOKEN: 'from-a-file-0123',
      PASSWORD: undefined,
    });
  });

  it('refuses both a secret and its file, and a file that cannot be read', () => {
    expect(() => readEnv(secrets, { TOKEN: 'x'.repeat(8), TOKEN_FILE: '/x' })).toThrow(
      'Invalid TOKEN_FILE: expected to be unset when TOKEN is set',
    );
    expect(() => readEnv(secrets, { TOKEN_FILE: '/nonexistent/token' })).toThrow(
      'Invalid TOKEN_FILE: expected a readable file, got "/nonexistent/token"',
    );
  });

  it('lists <NAME>_FILE among the variables a schema reads', () => {
    expect(envNames({ ...schema, ...secrets })).toEqual([
      ...Object.keys(schema),
      'TOKEN',
      'TOKEN_FILE',
      'PASSWORD',
      'PASSWORD_FILE',
    ]);
  });

  it('redacts credentials in any URL of a text', () => {
    expect(redactUrlCredentials('at mqtt://gw:pw@broker:1883 and redis://:p@r/0')).toBe(
      'at mqtt://***@broker:1883 and redis://***@r/0',
    );
  });
});

describe('loadConfigOrExit', () => {
  it('prints one line and exits 78 on a ConfigError', () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(() => loadConfigOrExit(() => readEnv(schema, {}))).toThrow('exit 78');
    expect(write).toHaveBeenCalledWith(
      'config error: Invalid NAME: expected a non-empty string, got ""\n',
    );
    exit.mockRestore();
    write.mockRestore();
  });
});
