import { Command, Option } from 'commander';
import type { CliContext } from './context';
import { UsageError } from './connections';
import { deviceRequest, parseData, request } from './gateway-request';
import { mintToken } from './mint-token';
import { collect, nonNegativeInt, positiveInt, scopesOf } from './options';

/** `request`, `services`, `health` and `token`: asking the gateway, and signing in to it. */
export function addRequestCommands(program: Command, cli: CliContext): void {
  addRequest(program, cli);
  addGatewayQueries(program, cli);
  addToken(program, cli);
}

function addRequest(program: Command, { io, env, exit }: CliContext): void {
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
}

function addGatewayQueries(program: Command, { io, env, exit }: CliContext): void {
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
}

function addToken(program: Command, { io, env }: CliContext): void {
  program
    .command('token')
    .description('mint a development JWT (HS256) from JWT_SECRET or the development secret')
    .requiredOption('--sub <id>', 'subject (the user id sent upstream)')
    .option('--scope <scopes>', 'space- or comma-separated scopes', '')
    .option('--ttl <seconds>', 'lifetime', positiveInt, 3600)
    .action(async (options) => {
      io.out(await mintToken(env(), options.sub, scopesOf(options.scope), options.ttl));
    });
}
