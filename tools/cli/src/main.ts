import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ApiKeyStore, mintDevToken, readDevSecret } from '@mqgw/auth';
import { RedisKvStore } from '@mqgw/store';
import { MqttRequester } from '@mqgw/testing';

const HELP = `mqgw: talk to the gateway from a terminal

Usage: npm run cli -- <command> [options]

Commands:
  request <topic>        send an MQTT 5 request and print the reply and its timing
      --data JSON|@file  request body (default {})
      --token JWT        send authorization: Bearer <JWT>
      --api-key KEY      send x-api-key
      --header k=v       another user property (repeatable)
      --qos 0|1|2        default 1
      --timeout MS       default 10000
  token --sub ID         mint a development JWT (HS256, JWT_SECRET or the dev secret file)
      --scope "a b"      space-separated scopes
      --ttl SECONDS      default 3600
  keys create --owner ID [--scope "a b"]   create an API key and print it once
  keys list                                list API keys (never the keys themselves)
  keys revoke <id>                         revoke an API key
  services               gateway/services
  health                 gateway/health

Environment: MQTT_URL (mqtt://127.0.0.1:1883), REDIS_URL (redis://127.0.0.1:6379),
REDIS_KEY_PREFIX, JWT_SECRET, DEV_SECRET_FILE (tmp/dev-jwt-secret).

Exit codes: 0 success, 1 an error reply, 2 bad usage or no reply.`;

class UsageError extends Error {}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

/** Runs one command; returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        token: { type: 'string' },
        'api-key': { type: 'string' },
        header: { type: 'string', multiple: true },
        qos: { type: 'string' },
        timeout: { type: 'string' },
        sub: { type: 'string' },
        scope: { type: 'string' },
        ttl: { type: 'string' },
        owner: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      io.out(HELP);
      return command || values.help ? 0 : 2;
    }
    switch (command) {
      case 'request': {
        if (!rest[0]) throw new UsageError('request needs a topic');
        const headers: Record<string, string> = {};
        if (values.token) headers['authorization'] = `Bearer ${values.token}`;
        if (values['api-key']) headers['x-api-key'] = values['api-key'];
        for (const pair of values.header ?? []) {
          const eq = pair.indexOf('=');
          if (eq <= 0) throw new UsageError(`--header expects name=value, got ${pair}`);
          headers[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        return await request(
          io,
          rest[0],
          parseData(values.data),
          headers,
          qosOf(values.qos),
          intOf('--timeout', values.timeout, 10_000),
        );
      }
      case 'services':
        return await request(
          io,
          'gateway/services',
          {},
          {},
          1,
          intOf('--timeout', values.timeout, 10_000),
        );
      case 'health':
        return await request(
          io,
          'gateway/health',
          {},
          {},
          1,
          intOf('--timeout', values.timeout, 10_000),
        );
      case 'token': {
        if (!values.sub) throw new UsageError('token needs --sub');
        const secret =
          io.env['JWT_SECRET'] ?? readDevSecret(io.env['DEV_SECRET_FILE'] ?? 'tmp/dev-jwt-secret');
        if (!secret) {
          throw new UsageError(
            'no secret: set JWT_SECRET, or start the gateway once so it writes the development secret',
          );
        }
        io.out(
          await mintDevToken({
            secret,
            sub: values.sub,
            scopes: scopesOf(values.scope),
            expiresInSeconds: intOf('--ttl', values.ttl, 3600),
          }),
        );
        return 0;
      }
      case 'keys':
        return await keys(io, rest, values.owner, scopesOf(values.scope));
      default:
        throw new UsageError(`unknown command ${command}; see --help`);
    }
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return 2;
  }
}

async function request(
  io: Io,
  topic: string,
  body: unknown,
  headers: Record<string, string>,
  qos: 0 | 1 | 2,
  timeoutMs: number,
): Promise<number> {
  const client = await MqttRequester.connect(io.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883');
  try {
    const started = performance.now();
    const reply = await client.request(topic, body, { headers, qos, timeoutMs });
    const ms = (performance.now() - started).toFixed(1);
    io.out(JSON.stringify(reply.body, null, 2));
    io.err(`${topic}: ${reply.body['status']} in ${ms} ms`);
    return reply.body['status'] === 'error' ? 1 : 0;
  } finally {
    await client.close();
  }
}

async function keys(
  io: Io,
  args: string[],
  owner: string | undefined,
  scopes: string[],
): Promise<number> {
  const redis = new Redis(io.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  await redis.connect();
  const store = new ApiKeyStore(new RedisKvStore(redis), {
    keyPrefix: io.env['REDIS_KEY_PREFIX'] ?? '',
  });
  try {
    switch (args[0]) {
      case 'create': {
        if (!owner) throw new UsageError('keys create needs --owner');
        const { key, record } = await store.create(owner, scopes);
        io.out(key);
        io.err(
          `created ${record.id} for ${owner} with scopes [${scopes.join(' ')}]; the key is not shown again`,
        );
        return 0;
      }
      case 'list':
        for (const r of await store.list()) {
          io.out(
            `${r.id}  ${r.owner}  ${r.revoked ? 'revoked' : 'active '}  ${r.created_at}  ${r.scopes.join(' ')}`,
          );
        }
        return 0;
      case 'revoke':
        if (!args[1]) throw new UsageError('keys revoke needs an id');
        if (!(await store.revoke(args[1]))) {
          io.err(`error: no API key ${args[1]}`);
          return 1;
        }
        io.err(`revoked ${args[1]}`);
        return 0;
      default:
        throw new UsageError('keys takes create, list or revoke');
    }
  } finally {
    redis.disconnect();
  }
}

function parseData(data: string | undefined): unknown {
  if (data === undefined) return {};
  const text = data.startsWith('@') ? readFileSync(data.slice(1), 'utf8') : data;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('--data is not valid JSON');
  }
}

function qosOf(value: string | undefined): 0 | 1 | 2 {
  if (value === undefined) return 1;
  if (value === '0' || value === '1' || value === '2') return Number(value) as 0 | 1 | 2;
  throw new UsageError('--qos must be 0, 1 or 2');
}

function intOf(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a positive integer`);
  return Number(value);
}

function scopesOf(value: string | undefined): string[] {
  return value ? value.split(/[\s,]+/).filter(Boolean) : [];
}

if (require.main === module || process.argv[1]?.endsWith('mqgw.cjs')) {
  void run(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  }).then((code) => process.exit(code));
}
