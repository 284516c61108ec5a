import { ConfigError } from '@mqgw/config';
import { readServiceConfig } from './service.config';

describe('readServiceConfig', () => {
  it('registers through whichever Redis is configured, or not at all', () => {
    expect(readServiceConfig(3001, {}).redis).toBeUndefined();
    expect(readServiceConfig(3001, { REDIS_URL: 'redis://r:6379' }).redis).toEqual({
      kind: 'url',
      url: 'redis://r:6379',
    });
    expect(readServiceConfig(3001, { REDIS_CLUSTER_NODES: 'a:7000' }).redis).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'a', port: 7000 }],
    });
    expect(
      readServiceConfig(3001, { REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' }).redis,
    ).toEqual({ kind: 'sentinel', sentinels: [{ host: 's', port: 26379 }], name: 'm' });
  });

  it('names the variable when two Redis sources are set', () => {
    const read = () =>
      readServiceConfig(3001, { REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:1' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow('Invalid REDIS_SENTINELS: expected unset when REDIS_URL is set');
  });
});
