import { readFileSync } from 'node:fs';
import { COMMAND_NAME } from '@mqgw/contracts';
import { SimulatedDevice } from '@mqgw/mqtt-client';
import type { CliEnv } from '../cli.config';
import { UsageError } from './connections';

/** The prefix the gateway uses for commands when DEVICE_TOPIC_PREFIX is unset (embedded). */
const EMBEDDED_PREFIX = 'things';

export interface CommandOptions {
  data: string;
  queued?: boolean;
  timeoutMs?: number;
  idempotencyKey?: string;
  token?: string;
  apiKey?: string;
}

function gateway(env: CliEnv): string {
  return env.GATEWAY_URL.replace(/\/+$/, '');
}

function credentials(
  env: CliEnv,
  options: { token?: string; apiKey?: string },
): Record<string, string> {
  const token = options.token ?? env.MQGW_TOKEN;
  const apiKey = options.apiKey ?? env.MQGW_API_KEY;
  if (token) return { authorization: `Bearer ${token}` };
  if (apiKey) return { 'x-api-key': apiKey };
  throw new UsageError('set MQGW_TOKEN or MQGW_API_KEY (or use --token-stdin)');
}

async function call(
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init).catch((error: Error) => {
    throw new UsageError(`${url}: ${error.message}`);
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new UsageError(`${url}: HTTP ${response.status}, not JSON`);
  }
}

/** `devices command <device> <name>`: POSTs the command to a gateway's HTTP side. */
export async function sendCommand(
  env: CliEnv,
  device: string,
  name: string,
  options: CommandOptions,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const data = options.data.startsWith('@')
    ? readFileSync(options.data.slice(1), 'utf8')
    : options.data;
  try {
    JSON.parse(data);
  } catch {
    throw new UsageError('--data is not valid JSON');
  }
  const query = new URLSearchParams();
  if (options.queued) query.set('delivery', 'queued');
  if (options.timeoutMs !== undefined) query.set('timeout_ms', String(options.timeoutMs));
  const url = `${gateway(env)}/devices/${encodeURIComponent(device)}/commands/${encodeURIComponent(name)}${query.size ? `?${query}` : ''}`;
  return call(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...credentials(env, options),
      ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
    },
    body: data,
  });
}

/** `devices result <device> <name> <id>`: a queued command's answer, or `pending`. */
export function fetchResult(
  env: CliEnv,
  device: string,
  name: string,
  id: string,
  auth: { token?: string; apiKey?: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = `${gateway(env)}/devices/${encodeURIComponent(device)}/commands/${encodeURIComponent(name)}/${encodeURIComponent(id)}`;
  return call(url, { headers: credentials(env, auth) });
}

export interface PresenceRow {
  name: string;
  status: string;
  protocol: string;
}

/** Presence as a running gateway sees it (its dashboard data); undefined if it cannot say. */
export async function fetchPresence(env: CliEnv): Promise<PresenceRow[] | undefined> {
  const headers = env.DASHBOARD_TOKEN
    ? { authorization: `Bearer ${env.DASHBOARD_TOKEN}` }
    : undefined;
  try {
    const response = await fetch(`${gateway(env)}/dashboard/data`, {
      headers,
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) return undefined;
    const data = (await response.json()) as { commands?: { devices?: PresenceRow[] } };
    return data.commands?.devices;
  } catch {
    return undefined;
  }
}

/**
 * `devices simulate <name>`: a device that answers every command until `stop` resolves,
 * logged in as `<name>` with `MQTT_PASSWORD` (or `MQTT_CLIENT_PASSWORD` for the first client).
 */
export async function simulate(
  env: CliEnv,
  name: string,
  protocol: 4 | 5,
  log: (line: string) => void,
  stop: Promise<void>,
): Promise<void> {
  if (!COMMAND_NAME.test(name)) throw new UsageError(`${name} is not a device name`);
  if (env.MQTT_USERNAME && env.MQTT_USERNAME !== name) {
    throw new UsageError(`MQTT_USERNAME is ${env.MQTT_USERNAME}: a device logs in as its own name`);
  }
  const prefix = env.DEVICE_TOPIC_PREFIX ?? EMBEDDED_PREFIX;
  // The deployment's first client may act as a device under its own login.
  const password =
    env.MQTT_PASSWORD ?? (name === env.MQTT_CLIENT_USERNAME ? env.MQTT_CLIENT_PASSWORD : undefined);
  const device = await SimulatedDevice.connect(env.MQTT_URL, {
    prefix,
    username: name,
    protocolVersion: protocol,
    ...(password ? { password } : {}),
    ...(env.MQTT_CA_FILE ? { ca: readFileSync(env.MQTT_CA_FILE) } : {}),
  });
  log(
    `device ${name} online over MQTT ${protocol === 5 ? '5' : '3.1.1'}, answering ${prefix}/${name}/commands/+ (Ctrl-C to stop)`,
  );
  const logNext = (): void => {
    void device.nextCommand().then((command) => {
      log(`command ${command.name} (${command.id})`);
      logNext();
    });
  };
  logNext();
  const closed = new Promise<void>((resolve) => device.client.once('close', () => resolve()));
  await Promise.race([stop, closed]);
  await device.close();
  log(`device ${name} offline`);
}
