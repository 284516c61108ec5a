import { Controller, Module, Post } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startTestApp } from '../testing';
import { IdempotencyKeyInterceptor } from './idempotency-key.interceptor';

let clock = 0;
let calls = 0;

@Controller('things')
class ThingsController {
  @Post()
  create() {
    return { n: ++calls };
  }
}

@Module({
  controllers: [ThingsController],
  providers: [
    {
      provide: APP_INTERCEPTOR,
      useFactory: () =>
        new IdempotencyKeyInterceptor({ ttlMs: 1000, maxEntries: 2, now: () => clock }),
    },
  ],
})
class ThingsModule {}

describe('IdempotencyKeyInterceptor', () => {
  let app: INestApplication;
  beforeEach(async () => {
    clock = 0;
    calls = 0;
    app = await startTestApp(ThingsModule);
  });
  afterEach(() => app.close());

  const post = (key?: string, userId?: string) => {
    let req = request(app.getHttpServer()).post('/things');
    if (key) req = req.set('idempotency-key', key);
    if (userId) req = req.set('x-user-id', userId);
    return req.expect(201).then((r) => r.body.n);
  };

  it('replays within the TTL and runs again after it', async () => {
    expect(await post('a')).toBe(1);
    clock = 999;
    expect(await post('a')).toBe(1);
    clock = 1000;
    expect(await post('a')).toBe(2);
  });

  it('keeps at most maxEntries keys, dropping the oldest', async () => {
    await post('a');
    await post('b');
    await post('c');
    expect(await post('c')).toBe(3);
    expect(await post('b')).toBe(2);
    expect(await post('a')).toBe(4);
  });

  it('ignores calls without a key or with an unprintable one', async () => {
    expect(await post()).toBe(1);
    expect(await post()).toBe(2);
    expect(await post(' ')).toBe(3);
    expect(await post(' ')).toBe(4);
  });

  it("never replays one user's reply to another user with the same key", async () => {
    expect(await post('k', 'alice')).toBe(1);
    expect(await post('k', 'bob')).toBe(2);
    expect(await post('k', 'alice')).toBe(1);
    expect(await post('k', 'bob')).toBe(2);
    expect(await post('k')).toBe(3);
  });
});
