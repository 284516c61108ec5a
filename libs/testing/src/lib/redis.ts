import { Redis } from 'ioredis';
import { REDIS_URL, requireService, uniqueTestId } from './services';

export interface TestRedis {
  redis: Redis;
  /** Prefix of every key this test may write; pass it to the code under test. */
  prefix: string;
  /** Deletes the run's keys and closes the connection. */
  close(): Promise<void>;
}

/** A real Redis connection with a run-unique key prefix. */
export async function openTestRedis(label = 'test'): Promise<TestRedis> {
  await requireService(REDIS_URL);
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const prefix = `${uniqueTestId(label)}:`;
  return {
    redis,
    prefix,
    async close() {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
