import { AsyncLocalStorage } from 'node:async_hooks';

interface RequestContext {
  request_id: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` with `requestId` attached to every log line written inside it, across
 * awaits, guards and interceptors: Nest's RPC context does not carry it there by itself.
 */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ request_id: requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.request_id;
}
