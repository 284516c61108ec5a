/** The per-service load balancer (`PerServiceBalancer`). */
export const LOAD_BALANCER = Symbol('LOAD_BALANCER');
