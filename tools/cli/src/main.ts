import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { mintDevToken, readDevSecret } from '@mqgw/auth';
import { ConfigError, redactUrlCredentials } from '@mqgw/config';
import { isMqgwError, isMqgwTimeoutError } from '@mqgw/client';
import {
  RoutesFileError,
  diffContracts,
  formatRouteRows,
  formatRouteTable,
  loadRoutesFile,
  type RouteRow,
} from '@mqgw/routes';
import {
  DEFAULT_BROKER_POLICY,
  ROTATABLE,
  addClient,
  listClients,
  newSecret,
  provisionBroker,
  removeClient,
  runSetup,
  type BrokerPolicyOptions,
  type Rotatable,
} from '@mqgw/deploy';
import { readCliConfig, type CliEnv } from './cli.config';
import {
  UsageError,
  apiKeyStore,
  connectAdmin,
  connectClient,
  connectDevice,
  deviceStore,
  withRedis,
} from './commands/connections';
import { fetchPresence, fetchResult, sendCommand, simulate } from './commands/device-commands';
import { formatChange } from './commands/routes-diff';
import { reloadStack } from './commands/stack-reload';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  /** The first line of standard input, for secrets that must not be typed as arguments. */
  readLine: () => Promise<string>;
}

const EPILOG = `
Environment: MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD, MQTT_CA_FILE, DEVICE_TOPIC_PREFIX,
GATEWAY_URL, DASHBOARD_TOKEN, REDIS_URL (or
REDIS_CLUSTER_NODES, REDIS_SENTINELS), REDIS_USERNAME, REDIS_PASSWORD, REDIS_KEY_PREFIX,
JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, MQGW_TOKEN, MQGW_API_KEY. Every secret may be read
from <NAME>_FILE instead; tokens and keys are never taken as arguments.

Exit codes: 0 success, 1 an error reply or a failed operation, 2 bad usage or no reply,
3 a queued command's answer is still pending.`;

/** Runs one command; resolves with the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help') return argv.length === 0 ? 2 : 0;
      return 2;
    }
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return 2;
    }
    if (error instanceof RoutesFileError) {
      io.err(`routes error: ${error.message}`);
      return 1;
    }
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
}

function buildProgram(io: Io, exit: (code: number) => void): Command {
  const env = () => readCliConfig(io.env);
  const program = new Command('mqgw')
    .description('talk to the gateway, and manage its keys, clients and deployment')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .addHelpText('after', EPILOG)
    .showHelpAfterError(false);

  program
    .command('request <topic>')
    .description('send an MQTT 5 request, print the reply and its timing')
    .option('--data <json>', 'request body, or @file', '{}')
    .option('--token-stdin', 'read a bearer token from standard input (else MQGW_TOKEN)')
    .option('--api-key-stdin', 'read an API key from standard input (else MQGW_API_KEY)')
    .option('--header <name=value>', 'another user property (repeatable)', collect, [])
    .addOption(new Option('--qos <n>', 'QoS').choices(['0', '1', '2']).default('1'))
    .option('--timeout <ms>', 'how long to wait for the reply', positiveInt, 10_000)
    .option(
      '--retries <n>',
      'send again where safe (an idempotency key on anything but a GET, or a reply that says so)',
      nonNegativeInt,
      2,
    )
    .option(
      '--device',
      'send as a device of DEVICE_TOPIC_PREFIX over MQTT 3.1.1: {id, data}, no token, the broker login is the identity',
    )
    .action(async (topic: string, options) => {
      const config = env();
      const qos = Number(options.qos) as 0 | 1 | 2;
      if (options.device) {
        exit(await deviceRequest(io, config, topic, parseData(options.data), qos, options.timeout));
        return;
      }
      const headers: Record<string, string> = {};
      const token = options.tokenStdin ? await io.readLine() : config.MQGW_TOKEN;
      const apiKey = options.apiKeyStdin ? await io.readLine() : config.MQGW_API_KEY;
      if (token) headers['authorization'] = `Bearer ${token}`;
      if (apiKey) headers['x-api-key'] = apiKey;
      for (const pair of options.header as string[]) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`--header expects name=value, got ${pair}`);
        headers[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      exit(
        await request(io, config, topic, parseData(options.data), headers, {
          qos: Number(options.qos) as 0 | 1 | 2,
          timeoutMs: options.timeout,
          retries: options.retries,
        }),
      );
    });

  for (const [name, what] of [
    ['services', 'gateway/services: the services and their instances'],
    ['health', 'gateway/health'],
  ] as const) {
    program
      .command(name)
      .description(what)
      .option('--timeout <ms>', 'how long to wait for the reply', positiveInt, 10_000)
      .action(async (options) => {
        const config = env();
        // Signed when the environment has credentials: where replies are bound to the caller
        // (replies/{user}/#, as in compose) an anonymous request gets no answer.
        const headers: Record<string, string> = {};
        if (config.MQGW_TOKEN) headers['authorization'] = `Bearer ${config.MQGW_TOKEN}`;
        else if (config.MQGW_API_KEY) headers['x-api-key'] = config.MQGW_API_KEY;
        exit(
          await request(io, config, `gateway/${name}`, {}, headers, {
            qos: 1,
            timeoutMs: options.timeout,
            retries: 0,
          }),
        );
      });
  }

  program
    .command('token')
    .description('mint a development JWT (HS256) from JWT_SECRET or the development secret')
    .requiredOption('--sub <id>', 'subject (the user id sent upstream)')
    .option('--scope <scopes>', 'space- or comma-separated scopes', '')
    .option('--ttl <seconds>', 'lifetime', positiveInt, 3600)
    .action(async (options) => {
      io.out(await mintToken(env(), options.sub, scopesOf(options.scope), options.ttl));
    });

  const keys = program.command('keys').description('API keys in Redis');
  keys
    .command('create')
    .description('create an API key and print it once')
    .requiredOption('--owner <id>', 'the user id sent upstream for this key')
    .option('--scope <scopes>', 'space- or comma-separated scopes', '')
    .action(async (options) => {
      const config = env();
      const scopes = scopesOf(options.scope);
      await withRedis(config, async (redis) => {
        const { key, record } = await apiKeyStore(config, redis).create(options.owner, scopes);
        io.out(key);
        io.err(
          `created ${record.id} for ${options.owner} with scopes [${scopes.join(' ')}]; the key is not shown again`,
        );
      });
    });
  keys
    .command('list')
    .description('list API keys (never the keys themselves)')
    .action(async () => {
      const config = env();
      await withRedis(config, async (redis) => {
        for (const r of await apiKeyStore(config, redis).list()) {
          io.out(
            `${r.id}  ${r.owner}  ${r.revoked ? 'revoked' : 'active '}  ${r.created_at}  ${r.scopes.join(' ')}`,
          );
        }
      });
    });
  keys
    .command('revoke <id>')
    .description('revoke an API key')
    .action(async (id: string) => {
      const config = env();
      await withRedis(config, async (redis) => {
        if (!(await apiKeyStore(config, redis).revoke(id))) {
          io.err(`error: no API key ${id}`);
          exit(1);
          return;
        }
        io.err(`revoked ${id}`);
      });
    });

  const routes = program.command('routes').description('the route table (ROUTES_FILE)');
  routes
    .command('check <file>')
    .description('validate a routes file without starting anything')
    .action((file: string) => {
      const table = loadRoutesFile(file);
      io.out(formatRouteTable(table.routes));
      for (const warning of table.warnings) io.err(`warning: ${warning}`);
      io.err(
        `${file}: ${table.routes.length} routes, ${table.services.size} services, ok (${table.digest})`,
      );
    });
  routes
    .command('list')
    .description('print the table a running gateway uses (GATEWAY_URL), or a file’s')
    .option('--file <file>', 'read a routes file instead of asking a gateway')
    .action(async (options: { file?: string }) => {
      if (options.file) {
        io.out(formatRouteTable(loadRoutesFile(options.file).routes));
        return;
      }
      const config = env();
      const url = `${config.GATEWAY_URL.replace(/\/+$/, '')}/routes`;
      const headers = config.DASHBOARD_TOKEN
        ? { authorization: `Bearer ${config.DASHBOARD_TOKEN}` }
        : undefined;
      const response = await fetch(url, { headers }).catch((error: Error) => {
        throw new UsageError(`${url}: ${error.message}`);
      });
      if (!response.ok) throw new UsageError(`${url}: HTTP ${response.status}`);
      const active = (await response.json()) as { digest: string; routes: RouteRow[] };
      io.out(formatRouteRows(active.routes));
      io.err(`${active.routes.length} routes, table ${active.digest}`);
    });

  routes
    .command('reload')
    .description(
      'reload the routes file in every gateway of the stack `npm start` runs (STACK_STATE_FILE), and say how each went',
    )
    .option('--timeout <ms>', 'how long to wait for each gateway to report', positiveInt, 10_000)
    .action(async (options: { timeout: number }) => {
      const config = env();
      const outcomes = await reloadStack(config, config.STACK_STATE_FILE, options.timeout);
      for (const o of outcomes) io.out(`${o.name} (pid ${o.pid}): ${o.outcome}`);
      const failed = outcomes.filter((o) => o.outcome !== 'applied').length;
      if (failed > 0)
        io.err(`error: ${failed} gateway(s) did not apply the routes file; see their log`);
      exit(failed > 0 ? 1 : 0);
    });

  routes
    .command('diff <old> <new>')
    .description(
      'what changed for clients between two routes files; exits 1 on a breaking change (a route removed, a required request field added, a reply field removed, a type narrowed)',
    )
    .action((before: string, after: string) => {
      const changes = diffContracts(loadRoutesFile(before).routes, loadRoutesFile(after).routes);
      for (const change of changes) io.out(formatChange(change));
      const breaking = changes.filter((c) => c.breaking).length;
      io.err(
        `${before} -> ${after}: ${changes.length} change${changes.length === 1 ? '' : 's'}, ${breaking} breaking`,
      );
      exit(breaking > 0 ? 1 : 0);
    });

  program
    .command('generate')
    .description('code from the route table')
    .command('types')
    .description(
      "TypeScript types of each route's request and reply, for @mqgw/client: connect<Routes>(...)",
    )
    .requiredOption('--routes <file>', 'the routes file')
    .requiredOption('--out <file.ts>', 'where to write the types')
    .action(async (options: { routes: string; out: string }) => {
      const table = loadRoutesFile(options.routes);
      // Loaded only here: the compiler and its formatter are large, and no other command uses them.
      const { generateTypes } = await import('./commands/generate-types');
      writeFileSync(options.out, await generateTypes(table, options.routes));
      io.err(`${options.out}: types of ${table.routes.length} routes (table ${table.digest})`);
    });

  const devices = program
    .command('devices')
    .description('scopes of devices in the device namespace (DEVICE_TOPIC_PREFIX), in Redis');
  devices
    .command('set <name>')
    .description('set a device’s scopes (replacing any); a device without a record has none')
    .option('--scope <scopes>', 'space- or comma-separated scopes', '')
    .action(async (name: string, options) => {
      const config = env();
      const record = await withRedis(config, (redis) =>
        deviceStore(config, redis).set(name, scopesOf(options.scope)),
      );
      io.err(`device ${record.name}: scopes [${record.scopes.join(' ')}]`);
    });
  devices
    .command('list')
    .description('list devices with scopes, and their presence as a gateway (GATEWAY_URL) sees it')
    .action(async () => {
      const config = env();
      const presence = await fetchPresence(config);
      const seen = new Map((presence ?? []).map((p) => [p.name, p]));
      const state = (name: string) => {
        const p = seen.get(name);
        return p
          ? `${p.status} (${p.protocol})`
          : presence
            ? 'offline (no status)'
            : 'presence unknown';
      };
      await withRedis(config, async (redis) => {
        for (const d of await deviceStore(config, redis).list()) {
          io.out(`${d.name}  ${state(d.name)}  ${d.updated_at}  ${d.scopes.join(' ')}`);
          seen.delete(d.name);
        }
      });
      for (const p of seen.values()) io.out(`${p.name}  ${p.status} (${p.protocol})  no record`);
      if (!presence)
        io.err(`presence unknown: ${config.GATEWAY_URL}/dashboard/data did not answer`);
    });
  devices
    .command('command <name> <command>')
    .description('send a command to a device through a gateway (GATEWAY_URL) and print its answer')
    .option('--data <json>', 'command body, or @file', '{}')
    .option('--queued', 'keep it for an offline device; prints the command id (202)')
    .option('--timeout-ms <ms>', 'how long the gateway waits for the answer', positiveInt)
    .option('--idempotency-key <key>', 'send at most once per key')
    .option('--token-stdin', 'read a bearer token from standard input (else MQGW_TOKEN)')
    .option('--api-key-stdin', 'read an API key from standard input (else MQGW_API_KEY)')
    .action(async (name: string, command: string, options) => {
      const config = env();
      const token = options.tokenStdin ? await io.readLine() : undefined;
      const apiKey = options.apiKeyStdin ? await io.readLine() : undefined;
      const started = performance.now();
      const reply = await sendCommand(config, name, command, { ...options, token, apiKey });
      io.out(JSON.stringify(reply.body, null, 2));
      io.err(
        `${name}/${command}: HTTP ${reply.status} in ${(performance.now() - started).toFixed(1)} ms`,
      );
      exit(reply.status === 200 || reply.status === 202 ? 0 : 1);
    });
  devices
    .command('result <name> <command> <id>')
    .description('the answer to a queued command (HTTP 202 while it is pending)')
    .option('--token-stdin', 'read a bearer token from standard input (else MQGW_TOKEN)')
    .action(async (name: string, command: string, id: string, options) => {
      const token = options.tokenStdin ? await io.readLine() : undefined;
      const reply = await fetchResult(env(), name, command, id, { token });
      io.out(JSON.stringify(reply.body, null, 2));
      exit(reply.status === 200 ? 0 : reply.status === 202 ? 3 : 1);
    });
  devices
    .command('simulate <name>')
    .description(
      'act as device <name> (the broker login, with MQTT_PASSWORD): answer every command until Ctrl-C',
    )
    .addOption(new Option('--mqtt <version>', 'protocol').choices(['5', '3.1.1']).default('5'))
    .action(async (name: string, options: { mqtt: string }) => {
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await simulate(env(), name, options.mqtt === '5' ? 5 : 4, io.err, stop);
    });
  devices
    .command('remove <name>')
    .description('remove a device’s record: it keeps its broker login, with no scopes')
    .action(async (name: string) => {
      const config = env();
      const removed = await withRedis(config, (redis) => deviceStore(config, redis).remove(name));
      if (!removed) {
        io.err(`error: no device ${name}`);
        exit(1);
        return;
      }
      io.err(`removed ${name}`);
    });

  const clients = program
    .command('clients')
    .description('broker accounts of API clients (Mosquitto dynamic security)');
  clients
    .command('add <name>')
    .description('add a client (or reset its password) and print its password once')
    .option('--password-stdin', 'read the password from standard input instead of generating one')
    .action(async (name: string, options) => {
      const config = env();
      const password = options.passwordStdin ? await io.readLine() : newSecret();
      await withAdmin(config, (admin) => addClient(admin, name, password, policy(config)));
      if (!options.passwordStdin) io.out(password);
      io.err(`client ${name} may publish requests and read replies/${name}/#`);
    });
  clients
    .command('list')
    .description('list clients and their roles')
    .action(async () => {
      await withAdmin(env(), async (admin) => {
        for (const c of await listClients(admin)) {
          io.out(`${c.username}  ${c.disabled ? 'disabled' : 'enabled '}  ${c.roles.join(' ')}`);
        }
      });
    });
  clients
    .command('remove <name>')
    .description('remove a client; it cannot log in again, and its device scopes go too')
    .action(async (name: string) => {
      const config = env();
      const removed = await withAdmin(config, (admin) => removeClient(admin, name));
      if (!removed) {
        io.err(`error: no client ${name}`);
        exit(1);
        return;
      }
      // A later client of the same name must not inherit its scopes.
      const scopes = await withRedis(config, (redis) =>
        deviceStore(config, redis).remove(name),
      ).catch((error: Error) => {
        io.err(`warning: ${name}'s device scopes were not removed (${error.message})`);
        return false;
      });
      io.err(`removed ${name}${scopes ? ' and its device scopes' : ''}`);
    });

  program
    .command('credentials')
    .description("print the deployment's first client's broker login and a token for it")
    .option('--ttl <seconds>', 'token lifetime', positiveInt, 3600)
    .action(async (options) => {
      const config = env();
      if (!config.MQTT_CLIENT_USERNAME || !config.MQTT_CLIENT_PASSWORD) {
        throw new UsageError('set MQTT_CLIENT_USERNAME and MQTT_CLIENT_PASSWORD(_FILE)');
      }
      // The broker as the host reaches it (the published port), not the compose network's name.
      io.out(`MQTT_URL=${config.MQTT_PUBLIC_URL ?? config.MQTT_URL}`);
      io.out(`MQTT_USERNAME=${config.MQTT_CLIENT_USERNAME}`);
      io.out(`MQTT_PASSWORD=${config.MQTT_CLIENT_PASSWORD}`);
      io.out(`MQGW_TOKEN=${await mintToken(config, config.MQTT_CLIENT_USERNAME, [], options.ttl)}`);
    });

  program
    .command('ca')
    .description('print the CA certificate clients should trust for TLS (MQTT_CA_FILE)')
    .action(() => {
      const file = env().MQTT_CA_FILE;
      if (!file) throw new UsageError('set MQTT_CA_FILE');
      io.out(readFileSync(file, 'utf8').trimEnd());
    });

  program
    .command('setup')
    .description(
      'prepare a deployment: generate what is missing (JWT secret, broker and Redis passwords, a development CA) and give each container only what it uses',
    )
    .option(
      '--rotate <secrets>',
      `replace generated secrets, comma-separated: ${ROTATABLE.join(', ')}`,
      rotatable,
    )
    .action(async (options: { rotate?: Rotatable[] }) => {
      const config = env();
      const result = await runSetup({
        stateDir: config.SETUP_STATE_DIR,
        outDir: config.SETUP_OUT_DIR,
        overrides: {
          ...(config.JWT_SECRET ? { jwtSecret: config.JWT_SECRET } : {}),
          ...(config.MQTT_CLIENT_USERNAME ? { clientUsername: config.MQTT_CLIENT_USERNAME } : {}),
          ...(config.MQTT_CLIENT_PASSWORD ? { clientPassword: config.MQTT_CLIENT_PASSWORD } : {}),
          ...(options.rotate ? { rotate: options.rotate } : {}),
        },
        brokerHosts: [
          'mosquitto',
          'localhost',
          '127.0.0.1',
          '::1',
          ...(config.PUBLIC_HOSTS?.split(',')
            .map((h) => h.trim())
            .filter(Boolean) ?? []),
        ],
      });
      io.err(
        `setup: ${result.changes.length > 0 ? `created ${result.changes.join(', ')}` : 'nothing to change'}; client ${result.secrets.mqtt.client.username}`,
      );
    });

  program
    .command('broker')
    .description('the broker’s dynamic security state')
    .command('provision')
    .description('make roles, the gateway user and the first client match the deployment')
    .action(async () => {
      const config = env();
      const missing = (
        ['MQTT_GATEWAY_PASSWORD', 'MQTT_CLIENT_USERNAME', 'MQTT_CLIENT_PASSWORD'] as const
      ).filter((name) => !config[name]);
      if (missing.length > 0) throw new UsageError(`set ${missing.join(', ')} (or their _FILE)`);
      await withAdmin(config, (admin) =>
        provisionBroker(
          admin,
          {
            mqtt: {
              gateway: config.MQTT_GATEWAY_PASSWORD!,
              client: {
                username: config.MQTT_CLIENT_USERNAME!,
                password: config.MQTT_CLIENT_PASSWORD!,
              },
            },
          },
          policy(config),
        ),
      );
      io.err(`broker provisioned: gateway, ${config.MQTT_CLIENT_USERNAME}`);
    });

  return program;
}

async function request(
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

async function deviceRequest(
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

async function withAdmin<T>(
  env: CliEnv,
  use: (admin: Awaited<ReturnType<typeof connectAdmin>>) => Promise<T>,
): Promise<T> {
  const admin = await connectAdmin(env);
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

function policy(env: CliEnv): BrokerPolicyOptions {
  return {
    ...DEFAULT_BROKER_POLICY,
    sharedGroup: env.SHARED_SUBSCRIPTION_GROUP,
    devicePrefix: env.DEVICE_TOPIC_PREFIX,
  };
}

async function mintToken(env: CliEnv, sub: string, scopes: string[], ttl: number) {
  const secret = env.JWT_SECRET ?? readDevSecret(env.DEV_SECRET_FILE);
  if (!secret) {
    throw new UsageError(
      'no secret: set JWT_SECRET (or JWT_SECRET_FILE), or start the gateway once so it writes the development secret',
    );
  }
  return mintDevToken({
    secret,
    sub,
    scopes,
    expiresInSeconds: ttl,
    ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
    ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
  });
}

function parseData(data: string): unknown {
  const text = data.startsWith('@') ? readFileSync(data.slice(1), 'utf8') : data;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('--data is not valid JSON');
  }
}

function rotatable(value: string): Rotatable[] {
  const names = value.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(ROTATABLE as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`expected ${ROTATABLE.join(', ')}; got ${unknown.join(', ')}`);
  }
  return names as Rotatable[];
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('expected a positive integer');
  }
  return Number(value);
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected 0 or a positive integer');
  return Number(value);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function scopesOf(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/** The first line of standard input. */
export function readStdinLine(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\n')) stream.pause();
    });
    stream.on('end', () => resolve(data.split(/\r?\n/)[0]));
    stream.on('pause', () => resolve(data.split(/\r?\n/)[0]));
    stream.on('error', reject);
  });
}
