import { readFileSync } from 'node:fs';
import { redactUrlCredentials } from '@mqgw/config';
import { isMqgwError, isMqgwTimeoutError } from '@mqgw/client';
import type { CliEnv } from '../cli.config';
import type { Io } from '../io';
import { UsageError, connectClient, connectDevice } from './connections';

export async function request(
  io: Io,
  env: CliEnv,
  topic: string,
  body: unknown,
  headers: Record<string, string>,
  options: { qos: 0 | 1 | 2; timeoutMs: number; retries: number },
): Promise<number> {
  const client = await connectClient(env).catch((error: Error) => {
    throw new UsageError(`cannot reach the broker ${brokerNamed(io, env)}: ${error.message}`);
  });
  try {
    const started = performance.now();
    const took = () => (performance.now() - started).toFixed(1);
    // A key the caller gives is the one the client sends, and repeats.
    const keyHeader = Object.keys(headers).find((h) => h.toLowerCase() === 'idempotency-key');
    const { [keyHeader ?? '']: idempotencyKey, ...rest } = headers;
    try {
      const reply = await client.request(topic, body as Record<string, unknown>, {
        ...options,
        headers: rest,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      io.out(JSON.stringify(reply, null, 2));
      io.err(`${topic}: ${String(reply['status'])} in ${took()} ms`);
      return 0;
    } catch (error) {
      if (isMqgwError(error)) {
        io.out(JSON.stringify(error.reply, null, 2));
        io.err(`${topic}: error in ${took()} ms`);
        return 1;
      }
      if (isMqgwTimeoutError(error)) {
        throw new UsageError(
          `no reply on ${topic} within ${options.timeoutMs} ms${error.attempts > 1 ? ` (${error.attempts} attempts)` : ''}, asking ${brokerNamed(io, env)}: is a gateway connected to that broker?`,
        );
      }
      throw new UsageError((error as Error).message);
    }
  } finally {
    await client.close();
  }
}

/** The broker a request went to, and where that choice came from. */
function brokerNamed(io: Io, env: CliEnv): string {
  return `${redactUrlCredentials(env.MQTT_URL)} (${io.env['MQTT_URL'] ? 'MQTT_URL' : 'the default; set MQTT_URL for another'})`;
}

export async function deviceRequest(
  io: Io,
  env: CliEnv,
  topic: string,
  data: unknown,
  qos: 0 | 1 | 2,
  timeoutMs: number,
): Promise<number> {
  const device = await connectDevice(env).catch((error: Error) => {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot reach the broker ${brokerNamed(io, env)}: ${error.message}`);
  });
  try {
    const started = performance.now();
    const reply = await device.request(topic, data, { qos, timeoutMs }).catch((error) => {
      throw new UsageError(`${(error as Error).message}, asking ${brokerNamed(io, env)}`);
    });
    const ms = (performance.now() - started).toFixed(1);
    io.out(JSON.stringify(reply.response, null, 2));
    io.err(`${device.space}/${topic}: ${reply.response['status']} in ${ms} ms`);
    return reply.response['status'] === 'error' ? 1 : 0;
  } finally {
    await device.close();
  }
}

export function parseData(data: string): unknown {
  const text = data.startsWith('@') ? readFileSync(data.slice(1), 'utf8') : data;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('--data is not valid JSON');
  }
}
