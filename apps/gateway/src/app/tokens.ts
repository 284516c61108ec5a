/** Injection tokens for the gateway's interfaces. */
export const SHARED_STATE = Symbol('SHARED_STATE');
export const SERVICE_REGISTRY = Symbol('SERVICE_REGISTRY');
export const INSTANCE_DIRECTORY = Symbol('INSTANCE_DIRECTORY');
export const LOAD_BALANCER = Symbol('LOAD_BALANCER');
export const ROUTE_MATCHER = Symbol('ROUTE_MATCHER');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
export const CIRCUIT_BREAKER = Symbol('CIRCUIT_BREAKER');
export const KV_STORE = Symbol('KV_STORE');
