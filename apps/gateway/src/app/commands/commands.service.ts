import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Identity } from '@mqgw/auth';
import { COMMAND_ID, GatewayError, allowsCommand } from '@mqgw/contracts';
import { LimiterUnavailableError, type RateLimiter } from '@mqgw/rate-limit';
import type { KvStore } from '@mqgw/store';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { STATE_CONFIG, type StateConfig } from '../state/state.config';
import { KV_STORE, RATE_LIMITER } from '../state/state.tokens';
import { LocalAnswerBus, RedisAnswerBus, type AnswerBus } from './answer.bus';
import {
  bodyOf,
  permittedPrefix,
  presenceOf,
  timeoutOf,
  type CommandCall,
} from './command-call.checks';
import { CommandConnection } from './command.connection';
import { CommandInbox } from './command-inbox';
import { recordFor } from './command.record';
import {
  accepted,
  answered,
  errorResponse,
  outcomeOf,
  pending,
  replayedAccepted,
  type CommandResponse,
} from './command.responses';
import { CommandStore, type CommandRecord } from './command.store';
import { commandMessage } from './command.wire';
import { COMMANDS_CONFIG, type CommandsConfig } from './commands.config';
import { DevicePresence } from './device-presence';

export type { CommandCall } from './command-call.checks';
export type { CommandResponse } from './command.responses';

/** The shared counters the dashboard shows, by outcome. */
export const COMMAND_STATS_KEY = 'metrics:commands';

/**
 * Commands to devices: checks a call, sends the command in the device's form (MQTT 5 or
 * 3.1.1), and answers the HTTP call with the device's answer, whichever gateway instance
 * the answer reaches. See docs/mqtt-api.md, "Commands to devices". The checks, the record,
 * the wire forms and the response bodies live in files of their own; this class holds the
 * order in which they run.
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
      response = this.failed(error, requestId);
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
    const prefix = permittedPrefix(this.config, call);
    await this.consumeRate(call.caller.principalId);
    const data = bodyOf(this.config, call);
    const timeoutMs = timeoutOf(this.config, call.timeoutMs);
    const presence = presenceOf(this.presence, call);
    const { record, ttlMs } = recordFor(this.config, call, timeoutMs, this.connection.instance);
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
    if (!answer) {
      const expiresAt = record.created_at + this.config.queueTtlSeconds * 1000;
      return { response: accepted(id, requestId, expiresAt), id };
    }
    const outcome = await answer;
    if (outcome === undefined) {
      throw new GatewayError(
        'GATEWAY_TIMEOUT',
        `device ${call.device} did not answer within ${timeoutMs} ms`,
        { details: { command_id: id } },
      );
    }
    return { response: answered(id, outcome, requestId, started), id };
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
    const message = commandMessage(prefix, { device, name, id, data }, v5, expiry);
    try {
      await this.connection.publish(message.topic, message.payload, message.options);
    } catch (error) {
      this.inbox.forget(id);
      await this.store.delete(id).catch(() => undefined);
      throw new GatewayError('SERVICE_UNAVAILABLE', 'the broker did not take the command', {
        retryAfter: 1,
        cause: error,
      });
    }
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
      if (!answer) return pending(id, requestId);
      return answered(id, answer.outcome, requestId, record.created_at, answer);
    } catch (error) {
      return this.failed(error, requestId);
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
    if (answer) return answered(existing.id, answer.outcome, requestId, started, answer);
    if (existing.mode === 'queued') return replayedAccepted(existing.id, requestId);
    throw new GatewayError('CONFLICT', 'this command is still waiting for its answer', {
      retryAfter: 1,
      details: { command_id: existing.id },
    });
  }

  /** The error response; an error that is not a `GatewayError` is a bug, so it is logged. */
  private failed(error: unknown, requestId: string): CommandResponse {
    if (!(error instanceof GatewayError)) {
      this.logger.error(`command failed: ${(error as Error).stack ?? String(error)}`);
    }
    return errorResponse(error, requestId);
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
