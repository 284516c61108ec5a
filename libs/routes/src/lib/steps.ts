/**
 * The request pipeline: its steps, in the order a request meets them. This list is the one
 * place that order is written. The routes file names steps from it (`steps:`), the route
 * compiler keeps each route's steps in this order, and the gateway runs the Nest guard or
 * interceptor registered under each name in this order, failing at boot if a handler
 * declares them otherwise (`apps/gateway/src/app/pipeline/pipeline.ts`).
 *
 * `always` steps run on every route whatever its `steps` say; `upstream` steps only make
 * sense around a call to a service, and are left out of the gateway's own routes; `timed`
 * steps wait on I/O of their own, and a trace records every run of theirs.
 */
export const STEPS = [
  // A browser's `origin` must be allowed. No I/O, so first.
  { name: 'origin' },
  // Who is asking (JWT, API key, or a device's broker login), then the route's scopes.
  // Early, so that every later refusal is answered into the caller's own reply space.
  { name: 'auth', timed: true },
  // Overload and deadlines: refuses what cannot be served in time, sharing capacity fairly
  // between callers, before anything costs a Redis round trip, a body decode or a service.
  { name: 'admission', always: true },
  // The body, decoded and checked against the route's request schema: a body the caller got
  // wrong is refused before it costs a Redis round trip or a service call.
  { name: 'validate', always: true },
  // The exact per-caller limit: a Redis round trip, so after the free checks.
  { name: 'rateLimit', timed: true },
  // The client headers a service may see. Before idempotency, whose duplicates skip the rest.
  { name: 'forwardHeaders', upstream: true },
  // Runs a keyed request once per (caller, key); a duplicate gets the stored reply here.
  { name: 'idempotency', upstream: true, timed: true },
  // Stale copy or fallback service when the service is unavailable: outside the breaker
  // and the concurrency limit, so that an open circuit or a full service falls back too.
  { name: 'fallback', upstream: true, timed: true },
  // Refuses at once while the service's circuit is open; counts what the service did.
  { name: 'breaker', upstream: true },
  // The service's concurrency limit (a bulkhead, adaptive by default), innermost, so that
  // only calls that will really go out hold a slot. Timed: a call may wait for a slot.
  { name: 'concurrency', always: true, upstream: true, timed: true },
] as const satisfies readonly StepSpec[];

interface StepSpec {
  name: string;
  always?: boolean;
  upstream?: boolean;
  timed?: boolean;
}

export type StepName = (typeof STEPS)[number]['name'];

export const STEP_NAMES: readonly StepName[] = STEPS.map((s) => s.name);

/** The steps whose spec sets `flag`. */
function stepsWith(flag: 'always' | 'upstream' | 'timed'): ReadonlySet<StepName> {
  return new Set(STEPS.filter((s) => flag in s && (s as StepSpec)[flag]).map((s) => s.name));
}

/** Steps that run on every route (with an upstream, for `upstream` steps). */
export const ALWAYS_STEPS = stepsWith('always');

/** Steps that wrap a call to a service and have nothing to do on the gateway's own routes. */
export const UPSTREAM_STEPS = stepsWith('upstream');

/**
 * Steps that wait on something of their own (a key set, Redis, a store, a free slot): a
 * trace records each of their runs as an event. The others take microseconds and appear in
 * a trace only when they refuse (docs/tracing.md).
 */
export const TIMED_STEPS = stepsWith('timed');

export function isStepName(name: string): name is StepName {
  return (STEP_NAMES as readonly string[]).includes(name);
}
