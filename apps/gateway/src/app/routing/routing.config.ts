import { maybe, str, type EnvOf } from '@mqgw/config';
import { defaultRoutesFile } from '@mqgw/routes';

/** Where the route table comes from. */
export const routingEnv = {
  ROUTES_FILE: maybe(
    str({ doc: 'the routes file (YAML or JSON); unset = config/routes.yaml, the default table' }),
  ),
};

export interface RoutingConfig {
  /** The routes file, loaded at boot and again on SIGHUP. */
  file: string;
}

export const ROUTING_CONFIG = Symbol('ROUTING_CONFIG');

export function readRoutingConfig(env: EnvOf<typeof routingEnv>): RoutingConfig {
  return { file: env.ROUTES_FILE ?? defaultRoutesFile() };
}
