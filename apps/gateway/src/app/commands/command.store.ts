import { createHash, randomBytes } from 'node:crypto';
import { COMMAND_ID, type CommandOutcome } from '@mqgw/contracts';
import type { KvStore } from '@mqgw/store';

/** What the gateway keeps about one command, wherever its answer arrives. */
export interface CommandRecord {
  id: string;
  principal: string;
  device: string;
  name: string;
  /** `wait`: an HTTP call holds for the answer; `queued`: the answer is fetched later. */
  mode: 'wait' | 'queued';
  /** The instance that holds the HTTP call (`wait`), told of the answer through the bus. */
  owner: string;
  /** Device, command, mode and body, hashed: a retried key must carry the same command. */
  fingerprint: string;
  created_at: number;
  expires_at: number;
}

export interface StoredAnswer {
  outcome: CommandOutcome;
  answered_at: number;
}

export type CreateResult =
  { outcome: 'stored' } | { outcome: 'exists'; record: CommandRecord } | { outcome: 'full' };

/**
 * Command records and answers in the shared store. An id is `c` + 16 hex digits naming the
 * caller (a hash of the principal) + 16 more: every key of a caller shares one hash tag,
 * so the per-caller bound on queued commands is one atomic `putBounded` on Redis Cluster too, and any instance
 * can find a command from the id a device sends back. With an `Idempotency-Key` the id is
 * derived from (principal, key), so a retried call finds the command it already sent.
 */
export class CommandStore {
  constructor(
    private readonly kv: KvStore,
    private readonly maxPending: number,
  ) {}

  static idFor(principal: string, idempotencyKey?: string): string {
    const tag = sha256(principal).slice(0, 16);
    const own =
      idempotencyKey === undefined
        ? randomBytes(8).toString('hex')
        : sha256(`${principal}\n${idempotencyKey}`).slice(0, 16);
    return `c${tag}${own}`;
  }

  static fingerprint(device: string, name: string, mode: string, body: Buffer): string {
    return sha256(`${device}\n${name}\n${mode}\n${sha256(body)}`);
  }

  /**
   * Stores a new record, or finds the one already under its id. A queued command is counted
   * against its caller until it expires (`COMMAND_MAX_PENDING`); a command in wait mode is
   * not, since it lives only as long as its HTTP call (plus 5 s) and the rate limit already
   * bounds how many of those a caller can have.
   */
  async create(record: CommandRecord, ttlMs: number): Promise<CreateResult> {
    if (record.mode === 'wait') {
      const existing = await this.kv.putIfAbsent(
        this.key(record.id),
        JSON.stringify(record),
        ttlMs,
      );
      return existing === null
        ? { outcome: 'stored' }
        : { outcome: 'exists', record: JSON.parse(existing) as CommandRecord };
    }
    const result = await this.kv.putBounded(this.key(record.id), JSON.stringify(record), ttlMs, {
      indexKey: this.index(record.id),
      max: this.maxPending,
      onlyIfAbsent: true,
    });
    if (result.outcome === 'exists') {
      return { outcome: 'exists', record: JSON.parse(result.existing) as CommandRecord };
    }
    return result;
  }

  async get(id: string): Promise<CommandRecord | null> {
    if (!COMMAND_ID.test(id)) return null;
    const raw = await this.kv.get(this.key(id));
    return raw === null ? null : (JSON.parse(raw) as CommandRecord);
  }

  /** Forgets a command that could not be sent, so that a retry sends it. */
  async delete(id: string): Promise<void> {
    await this.kv.delete(this.key(id));
  }

  /**
   * Keeps the first answer to `record`, until the record expires. False when it already
   * had one: a duplicate delivery, or a second answer from the device.
   */
  async answer(record: CommandRecord, answer: StoredAnswer, now = Date.now()): Promise<boolean> {
    const ttl = Math.max(1000, record.expires_at - now);
    const existing = await this.kv.putIfAbsent(
      this.answerKey(record.id),
      JSON.stringify(answer),
      ttl,
    );
    return existing === null;
  }

  async answerOf(id: string): Promise<StoredAnswer | null> {
    const raw = await this.kv.get(this.answerKey(id));
    return raw === null ? null : (JSON.parse(raw) as StoredAnswer);
  }

  private tag(id: string): string {
    return id.slice(1, 17);
  }

  private key(id: string): string {
    return `commands:{${this.tag(id)}}:${id}`;
  }

  private answerKey(id: string): string {
    return `commands:{${this.tag(id)}}:${id}:answer`;
  }

  private index(id: string): string {
    return `commands:{${this.tag(id)}}:pending`;
  }
}

function sha256(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}
