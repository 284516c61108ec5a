import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Identity } from '@mqgw/auth';
import {
  COMMAND_ID,
  COMMAND_NAME,
  GatewayError,
  allowsCommand,
  commandTopics,
  encodeLegacyCommand,
  type CommandOutcome,
} from '@mqgw/contracts';
import { LimiterUnavailableError, type RateLimiter } from '@mqgw/rate-limit';
import type { KvStore } from '@mqgw/store';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { STATE_CONFIG, type StateConfig } from '../state/state.config';
import { KV_STORE, RATE_LIMITER } from '../state/state.tokens';
import { LocalAnswerBus, RedisAnswerBus, type AnswerBus } from './answer.bus';
import { CommandConnection } from './command.connection';
import { CommandInbox } from './command-inbox';
import { CommandStore, type CommandRecord, type StoredAnswer } from './command.store';
import { COMMANDS_CONFIG, type CommandsConfig } from './commands.config';
import { DevicePresence } from './device-presence';

/** The shared counters the dashboard shows, by outcome. */
export const COMMAND_STATS_KEY = 'metrics:commands';

export interface CommandCall {
  caller: Identity;
  device: string;
  name: string;
  body: Buffer;
  /** `timeout_ms` as the caller wrote it. */
  timeoutMs?: string;
  queued: boolean;
  idempotencyKey?: string;
}

/** What the controller writes: an HTTP status and a JSON body. */
export interface CommandResponse {
  status: number;
  body: Record<string, unknown>;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Commands to devices: checks a call, sends the command in the device's form (MQTT 5 or
 * 3.1.1), and answers the HTTP call with the device's answer, whichever gateway instance
 * the answer reaches. See docs/mqtt-api.md, "Commands to devices".
 */
@Injectable()
export class CommandsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Commands');
  readonly presence: DevicePresence;
  private readonly store: CommandStore;
  private readonly bus: AnswerBus;
  private readonly inbox: CommandInbox;

  constructor(
    @Inject(COMMANDS_CONFIG) readonly config: CommandsConfig,
    @Inject(STATE_CONFIG) state: StateConfig,
    @Inject(KV_STORE) private readonly kv: KvStore,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    private readonly connection: CommandConnection,
    private readonly metrics: PrometheusMetrics,
  ) {
    this.presence = new DevicePresence(config.maxDevices);
    this.store = new CommandStore(kv, config.maxPending);
    this.bus = state.redis
      ? new RedisAnswerBus(state.redis, state.keyPrefix)
      : new LocalAnswerBus();
    this.inbox = new CommandInbox(
      config,
      this.store,
      this.presence,
      this.bus,
      connection.instance,
      metrics,
    );
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.enabled) return;
    await this.bus.listen(this.connection.instance, ({ id, outcome }) =>
      this.inbox.settle(id, outcome),
    );
    this.connection.onMessage((message) => {
      this.inbox
        .receive(message)
        .catch((error: Error) => this.logger.warn(`answer not handled: ${error.message}`));
    });
    await this.connection.start();
    if (this.config.unprotected) {
      this.logger.warn(
        `device commands under ${this.config.prefix}/ are NOT private: the embedded broker lets any client read any device's commands and answer for it`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.inbox.cancelAll();
    await this.connection.stop();
    await this.bus.close();
  }

  /** `POST /devices/{device}/commands/{name}`. */
  async send(call: CommandCall): Promise<CommandResponse> {
    const started = Date.now();
    const requestId = randomUUID();
    const mode = call.queued ? 'queued' : 'wait';
    let response: CommandResponse;
    let id: string | undefined;
    try {
      ({ response, id } = await this.run(call, requestId, started));
    } catch (error) {
      response = this.errorResponse(error, requestId);
    }
    const outcome = outcomeOf(response);
    this.metrics.deviceCommands.inc({ mode, outcome });
    void this.kv.hashIncrement(COMMAND_STATS_KEY, outcome, 1).catch(() => undefined);
    // Never the body, the answer or a credential: who, what, how it ended.
    this.logger.log(
      `command ${call.device}/${call.name} by ${call.caller.principalId} (${mode}${id ? ` ${id}` : ''}): ${response.status} ${outcome} in ${Date.now() - started} ms`,
    );
    return response;
  }

  private async run(
    call: CommandCall,
    requestId: string,
    started: number,
  ): Promise<{ response: CommandResponse; id?: string }> {
    const prefix = this.permitted(call);
    await this.consumeRate(call.caller.principalId);
    const data = this.bodyOf(call);
    const timeoutMs = this.timeoutOf(call.timeoutMs);
    const presence = this.presenceOf(call);
    const { record, ttlMs } = this.recordFor(call, timeoutMs);
    const { id } = record;
    const created = await this.shared(() => this.store.create(record, ttlMs));
    if (created.outcome === 'full') {
      throw new GatewayError(
        'RATE_LIMITED',
        `at most ${this.config.maxPending} commands may be pending per caller`,
        { retryAfter: 1 },
      );
    }
    if (created.outcome === 'exists') {
      return { response: await this.replay(created.record, record, requestId, started), id };
    }
    const answer = call.queued ? undefined : this.inbox.wait(id, timeoutMs);
    await this.publishCommand(prefix, call, id, data, presence?.protocol === 5, timeoutMs);
    if (!answer) return { response: this.accepted(id, requestId, record.created_at), id };
    const outcome = await answer;
    if (outcome === undefined) {
      throw new GatewayError(
        'GATEWAY_TIMEOUT',
        `device ${call.device} did not answer within ${timeoutMs} ms`,
        { details: { command_id: id } },
      );
    }
    return { response: this.answered(id, outcome, requestId, started), id };
  }

  /** The device prefix, once the call may be made at all: enabled, plain names, scopes. */
  private permitted(call: CommandCall): string {
    const { caller, device, name } = call;
    if (!this.config.enabled || !this.config.prefix) {
      throw new GatewayError('NOT_FOUND', 'commands to devices are not enabled on this gateway');
    }
    if (!COMMAND_NAME.test(device) || !COMMAND_NAME.test(name)) {
      throw new GatewayError(
        'BAD_REQUEST',
        'device and command must be plain names (1 to 64 of A-Z a-z 0-9 _ . -)',
      );
    }
    if (!allowsCommand(caller.scopes, device, name)) {
      throw new GatewayError(
        'FORBIDDEN',
        `missing required scope: devices:command (or devices:command:${device}[:${name}])`,
      );
    }
    return this.config.prefix;
  }

  /** The command's data: bounded, JSON; and a well-formed `Idempotency-Key` if any. */
  private bodyOf(call: CommandCall): unknown {
    if (call.body.length > this.config.maxBytes) {
      throw new GatewayError('PAYLOAD_TOO_LARGE', `the body is over ${this.config.maxBytes} bytes`);
    }
    const data = parseBody(call.body);
    if (call.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(call.idempotencyKey)) {
      throw new GatewayError(
        'BAD_REQUEST',
        'Idempotency-Key must be 1 to 255 printable ASCII characters',
      );
    }
    return data;
  }

  /** The device's presence: online for a call that waits; ever seen for a queued one. */
  private presenceOf(call: CommandCall): ReturnType<DevicePresence['get']> {
    const { device } = call;
    const presence = this.presence.get(device);
    if (!call.queued && presence?.status !== 'online') {
      throw new GatewayError('DEVICE_OFFLINE', `device ${device} is offline`, {
        details: { device, status: presence?.status ?? 'unknown' },
      });
    }
    if (call.queued && !presence) {
      throw new GatewayError(
        'NOT_FOUND',
        `device ${device} has never connected: nothing would keep a queued command for it`,
      );
    }
    return presence;
  }

  /** The shared record of the command, and how long it is kept. */
  private recordFor(
    call: CommandCall,
    timeoutMs: number,
  ): { record: CommandRecord; ttlMs: number } {
    const { caller, device, name } = call;
    const mode = call.queued ? 'queued' : 'wait';
    const now = Date.now();
    const ttlMs = call.queued
      ? (this.config.queueTtlSeconds + this.config.resultTtlSeconds) * 1000
      : call.idempotencyKey !== undefined
        ? timeoutMs + this.config.resultTtlSeconds * 1000
        : timeoutMs + 5000;
    const record: CommandRecord = {
      id: CommandStore.idFor(caller.principalId, call.idempotencyKey),
      principal: caller.principalId,
      device,
      name,
      mode,
      owner: this.connection.instance,
      fingerprint: CommandStore.fingerprint(device, name, mode, call.body),
      created_at: now,
      expires_at: now + ttlMs,
    };
    return { record, ttlMs };
  }

  /** Publishes the command in the device's form; a broker that does not take it is a 503. */
  private async publishCommand(
    prefix: string,
    call: CommandCall,
    id: string,
    data: unknown,
    v5: boolean,
    timeoutMs: number,
  ): Promise<void> {
    const { device, name } = call;
    const expiry = call.queued ? this.config.queueTtlSeconds : Math.ceil(timeoutMs / 1000);
    try {
      await this.connection.publish(
        commandTopics.command(prefix, device, name),
        v5 ? JSON.stringify(data) : encodeLegacyCommand(id, data),
        {
          properties: {
            // A command that no one took within its time must not run later.
            messageExpiryInterval: expiry,
            contentType: 'application/json',
            ...(v5
              ? {
                  responseTopic: commandTopics.reply(prefix, device, name),
                  correlationData: Buffer.from(id),
                }
              : {}),
          },
        },
      );
    } catch (error) {
      this.inbox.forget(id);
      await this.store.delete(id).catch(() => undefined);
      throw new GatewayError('SERVICE_UNAVAILABLE', 'the broker did not take the command', {
        retryAfter: 1,
        cause: error,
      });
    }
  }

  /** `202` for a queued command: where to fetch its answer, and until when it waits. */
  private accepted(id: string, requestId: string, createdAt: number): CommandResponse {
    return {
      status: 202,
      body: {
        status: 'accepted',
        command_id: id,
        request_id: requestId,
        expires_at: new Date(createdAt + this.config.queueTtlSeconds * 1000).toISOString(),
      },
    };
  }

  /** `GET /devices/{device}/commands/{name}/{id}`: a queued or keyed command's answer. */
  async result(
    caller: Identity,
    device: string,
    name: string,
    id: string,
  ): Promise<CommandResponse> {
    const requestId = randomUUID();
    try {
      if (!this.config.enabled) {
        throw new GatewayError('NOT_FOUND', 'commands to devices are not enabled on this gateway');
      }
      if (!allowsCommand(caller.scopes, device, name)) {
        throw new GatewayError('FORBIDDEN', 'missing required scope: devices:command');
      }
      await this.consumeRate(caller.principalId);
      const record = COMMAND_ID.test(id) ? await this.shared(() => this.store.get(id)) : null;
      // Another caller's command is as unknown as a missing one.
      if (
        !record ||
        record.principal !== caller.principalId ||
        record.device !== device ||
        record.name !== name
      ) {
        throw new GatewayError('NOT_FOUND', `no command ${id} of yours for ${device}/${name}`);
      }
      const answer = await this.shared(() => this.store.answerOf(id));
      if (!answer) {
        return { status: 202, body: { status: 'pending', command_id: id, request_id: requestId } };
      }
      return this.answered(id, answer.outcome, requestId, record.created_at, answer);
    } catch (error) {
      return this.errorResponse(error, requestId);
    }
  }

  /** A retried call with the same key: never sent twice. */
  private async replay(
    existing: CommandRecord,
    attempt: CommandRecord,
    requestId: string,
    started: number,
  ): Promise<CommandResponse> {
    if (existing.fingerprint !== attempt.fingerprint || existing.principal !== attempt.principal) {
      throw new GatewayError(
        'UNPROCESSABLE_ENTITY',
        'this Idempotency-Key was used for a different command',
      );
    }
    const answer = await this.shared(() => this.store.answerOf(existing.id));
    if (answer) return this.answered(existing.id, answer.outcome, requestId, started, answer);
    if (existing.mode === 'queued') {
      return {
        status: 202,
        body: {
          status: 'accepted',
          command_id: existing.id,
          request_id: requestId,
          replayed: true,
        },
      };
    }
    throw new GatewayError('CONFLICT', 'this command is still waiting for its answer', {
      retryAfter: 1,
      details: { command_id: existing.id },
    });
  }

  private answered(
    id: string,
    outcome: CommandOutcome,
    requestId: string,
    started: number,
    stored?: StoredAnswer,
  ): CommandResponse {
    const processing = ((stored?.answered_at ?? Date.now()) - started) / 1000;
    if (!outcome.ok) {
      if (outcome.error.code === 'SHUTDOWN') {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'the gateway is shutting down', {
          retryAfter: 1,
        });
      }
      return this.errorResponse(
        new GatewayError('DEVICE_ERROR', outcome.error.message, {
          details: { command_id: id, device_code: outcome.error.code },
        }),
        requestId,
      );
    }
    return {
      status: 200,
      body: {
        status: 'success',
        data: outcome.data,
        request_id: requestId,
        command_id: id,
        processing_time: Math.max(0, processing),
      },
    };
  }

  private errorResponse(error: unknown, requestId: string): CommandResponse {
    if (!(error instanceof GatewayError)) {
      this.logger.error(`command failed: ${(error as Error).stack ?? String(error)}`);
    }
    const status = error instanceof GatewayError ? error.statusCode : 500;
    const body =
      error instanceof GatewayError
        ? {
            status: 'error',
            status_code: status,
            error: {
              code: error.code,
              message: error.message,
              ...(error.details !== undefined ? { details: error.details } : {}),
              ...(error.retryAfter !== undefined ? { retry_after: error.retryAfter } : {}),
            },
            request_id: requestId,
          }
        : {
            status: 'error',
            status_code: 500,
            error: { code: 'INTERNAL_ERROR', message: 'internal error' },
            request_id: requestId,
          };
    return { status, body };
  }

  private timeoutOf(raw: string | undefined): number {
    if (raw === undefined) return this.config.defaultTimeoutMs;
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
      throw new GatewayError('BAD_REQUEST', 'timeout_ms must be a positive integer (milliseconds)');
    }
    return Math.min(Number(raw), this.config.maxTimeoutMs);
  }

  private async consumeRate(principal: string): Promise<void> {
    let decision;
    try {
      decision = await this.limiter.consume(`commands|${principal}`, this.config.rateLimit);
    } catch (error) {
      if (error instanceof LimiterUnavailableError) {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'rate limiter unavailable', {
          retryAfter: 5,
        });
      }
      throw error;
    }
    if (!decision.allowed) {
      throw new GatewayError('RATE_LIMITED', 'rate limit exceeded', {
        retryAfter: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
      });
    }
  }

  /** Without the shared store a command could run twice or never be found: refuse it. */
  private async shared<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new GatewayError('SERVICE_UNAVAILABLE', 'command store unavailable', {
        retryAfter: 5,
        cause: error,
      });
    }
  }
}

/** Empty means `{}`; anything else must be JSON. */
function parseBody(body: Buffer): unknown {
  if (body.length === 0 || body.toString('utf8').trim() === '') return {};
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new GatewayError('BAD_REQUEST', 'the body must be JSON');
  }
}

function outcomeOf(response: CommandResponse): string {
  if (response.status === 200) return 'answered';
  if (response.status === 202) return 'queued';
  const code = (response.body['error'] as { code?: string } | undefined)?.code ?? 'INTERNAL_ERROR';
  return code.toLowerCase();
}
