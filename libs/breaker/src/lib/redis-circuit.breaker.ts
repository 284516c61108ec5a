import type { RedisClient } from '@mqgw/store';
import {
  settingsOf,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerState,
  type CircuitBreaker,
  type Permit,
  type Transition,
} from './breaker.types';

/*
 * One hash per service: state, failures, opened_at (ms, Redis clock), probes.
 * Every read-modify-write is one script, so instances never disagree or double-count.
 */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// ARGV: recoveryMs, halfOpenProbes. Returns {allowed, probe, retryAfterMs, state, transitioned}.
const ACQUIRE = `${NOW}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then return {1, 0, 0, 'closed', 0} end
local recovery = tonumber(ARGV[1])
local maxProbes = tonumber(ARGV[2])
if state == 'open' then
  local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
  if now - opened < recovery then return {0, 0, opened + recovery - now, 'open', 0} end
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'probes', 1)
  return {1, 1, 0, 'half_open', 1}
end
local probes = tonumber(redis.call('HGET', KEYS[1], 'probes') or '0')
if probes < maxProbes then
  redis.call('HINCRBY', KEYS[1], 'probes', 1)
  return {1, 1, 0, 'half_open', 0}
end
return {0, 0, 1000, 'half_open', 0}
`;

// ARGV: success (1/0), wasProbe (1/0), failureThreshold. Returns {state, failures, opened_at, from}.
const RECORD = `${NOW}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local success = ARGV[1] == '1'
local probe = ARGV[2] == '1'
if success then
  if state == 'half_open' and probe then
    redis.call('DEL', KEYS[1])
    return {'closed', 0, 0, state}
  end
  if state == 'closed' then redis.call('HDEL', KEYS[1], 'failures') end
  local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
  return {state, 0, opened, state}
end
if state == 'half_open' then
  if probe then
    redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now, 'probes', 0)
    return {'open', 0, now, state}
  end
  return {state, 0, 0, state}
end
if state == 'open' then
  return {'open', 0, tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0'), state}
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now, 'failures', 0, 'probes', 0)
  return {'open', failures, now, 'closed'}
end
return {'closed', failures, 0, 'closed'}
`;

// A probe that proved nothing gives its slot back while the circuit is still half-open.
const RELEASE = `
if redis.call('HGET', KEYS[1], 'state') == 'half_open' then
  local probes = tonumber(redis.call('HGET', KEYS[1], 'probes') or '0')
  if probes > 0 then redis.call('HSET', KEYS[1], 'probes', probes - 1) end
end
return 0
`;

type Commands = {
  breakerRelease(key: string): Promise<number>;
  breakerAcquire(
    key: string,
    recoveryMs: number,
    probes: number,
  ): Promise<[number, number, number, BreakerState, number]>;
  breakerRecord(
    key: string,
    success: string,
    probe: string,
    threshold: number,
  ): Promise<[BreakerState, number, number, BreakerState]>;
};

interface Cached {
  snapshot: BreakerSnapshot;
  until: number;
}

export interface RedisBreakerOptions extends BreakerOptions {
  keyPrefix?: string;
  /** How long this instance trusts its last view of a closed circuit (default 1000 ms). */
  cacheMs?: number;
  /** Opens a connection for change events; defaults to `redis.duplicate()`. */
  subscriber?: () => RedisClient;
  onTransition?: (transition: Transition) => void;
  now?: () => number;
}

/**
 * A circuit breaker shared by every gateway instance through Redis. While a circuit is
 * closed and nothing has failed, calls cost no Redis round trip: this instance trusts
 * its cached view for `cacheMs`, and transitions made elsewhere arrive by pub/sub.
 */
export class RedisCircuitBreaker implements CircuitBreaker {
  private readonly redis: RedisClient & Commands;
  private readonly prefix: string;
  private readonly cache = new Map<string, Cached>();
  private readonly now: () => number;
  private subscriber?: RedisClient;

  constructor(
    redis: RedisClient,
    private readonly options: RedisBreakerOptions,
  ) {
    if (!(redis as Partial<Commands>).breakerAcquire) {
      redis.defineCommand('breakerAcquire', { numberOfKeys: 1, lua: ACQUIRE });
      redis.defineCommand('breakerRecord', { numberOfKeys: 1, lua: RECORD });
      redis.defineCommand('breakerRelease', { numberOfKeys: 1, lua: RELEASE });
    }
    this.redis = redis as RedisClient & Commands;
    this.prefix = options.keyPrefix ?? '';
    this.now = options.now ?? Date.now;
  }

  key(service: string): string {
    return `${this.prefix}breaker:{${service}}`;
  }

  private get channel(): string {
    return `${this.prefix}breaker:changes`;
  }

  /**
   * Listens for transitions made by other instances. When Redis is away the subscription is
   * retried every second in the background (the cached views expire within `cacheMs`
   * meanwhile); the first failure is reported, later ones are not.
   */
  async start(): Promise<void> {
    const subscriber = this.options.subscriber?.() ?? this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, service: string) => {
      if (channel === this.channel) this.cache.delete(service);
    });
    try {
      await subscriber.subscribe(this.channel);
    } catch (error) {
      this.retrySubscribe(subscriber);
      throw error;
    }
  }

  private retryTimer?: NodeJS.Timeout;

  private retrySubscribe(subscriber: RedisClient): void {
    this.retryTimer = setTimeout(() => {
      subscriber.subscribe(this.channel).catch(() => this.retrySubscribe(subscriber));
    }, 1000);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.subscriber?.disconnect();
  }

  async acquire(service: string): Promise<Permit> {
    const cached = this.cache.get(service);
    const now = this.now();
    // A healthy circuit, the common case, needs neither Redis nor the service's settings.
    if (cached && cached.until > now && cached.snapshot.state === 'closed') {
      return { allowed: true, probe: false };
    }
    const settings = settingsOf(this.options, service);
    if (cached && cached.until > now) {
      const reopenAt = cached.snapshot.openedAt + settings.recoveryMs;
      if (cached.snapshot.state === 'open' && reopenAt > now)
        return { allowed: false, retryAfterMs: reopenAt - now };
    }
    const [allowed, probe, retryAfterMs, state, transitioned] = await this.redis.breakerAcquire(
      this.key(service),
      settings.recoveryMs,
      settings.halfOpenProbes,
    );
    if (state === 'closed') this.remember(service, { state, failures: 0, openedAt: 0 });
    if (transitioned) await this.announce({ service, from: 'open', to: 'half_open' });
    return allowed ? { allowed: true, probe: probe === 1 } : { allowed: false, retryAfterMs };
  }

  async record(service: string, success: boolean, permit: Permit): Promise<void> {
    const probe = permit.allowed && permit.probe;
    const cached = this.cache.get(service);
    // The common case, a success on a healthy circuit, needs no write.
    if (
      success &&
      !probe &&
      cached &&
      cached.until > this.now() &&
      cached.snapshot.state === 'closed' &&
      cached.snapshot.failures === 0
    ) {
      return;
    }
    const [state, failures, openedAt, from] = await this.redis.breakerRecord(
      this.key(service),
      success ? '1' : '0',
      probe ? '1' : '0',
      settingsOf(this.options, service).failureThreshold,
    );
    this.remember(service, { state, failures, openedAt });
    if (state !== from) await this.announce({ service, from, to: state });
  }

  async release(service: string, permit: Permit): Promise<void> {
    if (permit.allowed && permit.probe) await this.redis.breakerRelease(this.key(service));
  }

  async snapshot(service: string): Promise<BreakerSnapshot> {
    const row = await this.redis.hgetall(this.key(service));
    return {
      state: (row['state'] as BreakerState | undefined) ?? 'closed',
      failures: Number(row['failures'] ?? 0),
      openedAt: Number(row['opened_at'] ?? 0),
    };
  }

  private remember(service: string, snapshot: BreakerSnapshot): void {
    this.cache.set(service, { snapshot, until: this.now() + (this.options.cacheMs ?? 1000) });
  }

  private async announce(transition: Transition): Promise<void> {
    this.options.onTransition?.(transition);
    await this.redis.publish(this.channel, transition.service).catch(() => undefined);
  }
}
