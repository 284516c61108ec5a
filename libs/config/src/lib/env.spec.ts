import { ConfigError, bool, int, loadConfigOrExit, maybe, oneOf, readEnv, str, url } from './env';

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
