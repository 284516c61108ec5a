import { readFileSync } from 'node:fs';
import type { CliEnv } from '../cli.config';
import { UsageError } from './connections';

/** What `npm start` (tools/scripts/stack.mjs) writes about itself once it is ready. */
interface StackState {
  pid: number;
  parts: { name: string; role: string; pid: number; port: string }[];
}

export interface ReloadOutcome {
  name: string;
  pid: number;
  outcome: 'applied' | 'rejected' | 'no answer';
}

const OUTCOMES = ['applied', 'rejected'] as const;

/**
 * Reloads the routes of the stack `npm start` runs: a SIGHUP to its runner, which forwards
 * it to every gateway, the same signal each gateway reloads on in any deployment. It waits
 * on each gateway's `mqgw_route_reloads_total` to say how the reload went.
 */
export async function reloadStack(
  config: CliEnv,
  stateFile: string,
  timeoutMs: number,
): Promise<ReloadOutcome[]> {
  const state = readState(stateFile);
  const gateways = state.parts.filter((p) => p.role === 'gateway');
  const before = await Promise.all(gateways.map((g) => reloadCounts(config, g.port)));
  try {
    process.kill(state.pid, 'SIGHUP');
  } catch {
    throw new UsageError(
      `the stack in ${stateFile} (pid ${state.pid}) is not running: start it with npm start`,
    );
  }
  const deadline = Date.now() + timeoutMs;
  return Promise.all(
    gateways.map(async (gateway, i) => {
      for (;;) {
        const now = await reloadCounts(config, gateway.port);
        const changed = OUTCOMES.find((o) => now && before[i] && now[o] > before[i][o]);
        if (changed) return { name: gateway.name, pid: gateway.pid, outcome: changed };
        if (Date.now() > deadline || !before[i]) {
          return { name: gateway.name, pid: gateway.pid, outcome: 'no answer' as const };
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
  );
}

function readState(file: string): StackState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(
      `no running stack: ${file} is missing (npm start writes it once the stack is ready; elsewhere send SIGHUP to each gateway, e.g. docker compose kill -s HUP gateway)`,
    );
  }
  const state = JSON.parse(text) as StackState;
  if (!Number.isInteger(state.pid) || !Array.isArray(state.parts)) {
    throw new UsageError(`${file} is not a stack state file`);
  }
  return state;
}

/** A gateway's reload counters from its `/metrics`; undefined when it does not answer. */
async function reloadCounts(
  config: CliEnv,
  port: string,
): Promise<Record<(typeof OUTCOMES)[number], number> | undefined> {
  const host = new URL(config.GATEWAY_URL).hostname;
  const headers = config.DASHBOARD_TOKEN
    ? { authorization: `Bearer ${config.DASHBOARD_TOKEN}` }
    : undefined;
  const response = await fetch(`http://${host}:${port}/metrics`, {
    headers,
    signal: AbortSignal.timeout(2000),
  }).catch(() => undefined);
  if (!response?.ok) return undefined;
  const text = await response.text();
  const count = (outcome: string) =>
    Number(
      new RegExp(`^mqgw_route_reloads_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(
        text,
      )?.[1] ?? 0,
    );
  return { applied: count('applied'), rejected: count('rejected') };
}
