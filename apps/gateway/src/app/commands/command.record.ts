import type { CommandCall } from './command-call.checks';
import { CommandStore, type CommandRecord } from './command.store';
import type { CommandsConfig } from './commands.config';

/**
 * The shared record of a call's command, and how long it is kept. A queued command waits
 * its queue time and then keeps its answer for the result time; a keyed one keeps its answer
 * so that a retry finds it; any other lives only as long as its HTTP call, plus 5 s for an
 * answer already on its way.
 */
export function recordFor(
  config: CommandsConfig,
  call: CommandCall,
  timeoutMs: number,
  /** The instance that holds the HTTP call. */
  owner: string,
  now = Date.now(),
): { record: CommandRecord; ttlMs: number } {
  const { caller, device, name } = call;
  const mode = call.queued ? 'queued' : 'wait';
  const ttlMs = call.queued
    ? (config.queueTtlSeconds + config.resultTtlSeconds) * 1000
    : call.idempotencyKey !== undefined
      ? timeoutMs + config.resultTtlSeconds * 1000
      : timeoutMs + 5000;
  const record: CommandRecord = {
    id: CommandStore.idFor(caller.principalId, call.idempotencyKey),
    principal: caller.principalId,
    device,
    name,
    mode,
    owner,
    fingerprint: CommandStore.fingerprint(device, name, mode, call.body),
    created_at: now,
    expires_at: now + ttlMs,
  };
  return { record, ttlMs };
}
