/** The shared-state interfaces other modules inject. */
export const KV_STORE = Symbol('KV_STORE');
export const SERVICE_REGISTRY = Symbol('SERVICE_REGISTRY');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
export const CIRCUIT_BREAKER = Symbol('CIRCUIT_BREAKER');
/** The whole `SharedState`, for its start and close. */
export const SHARED_STATE = Symbol('SHARED_STATE');
