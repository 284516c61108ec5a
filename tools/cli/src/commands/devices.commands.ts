import { Command, Option } from 'commander';
import type { CliContext } from './context';
import { deviceStore, withRedis } from './connections';
import { fetchPresence, fetchResult, sendCommand, simulate } from './device-commands';
import { positiveInt, scopesOf } from './options';

/** `devices set|list|command|result|simulate|remove`: devices, their scopes and their commands. */
export function addDeviceCommands(program: Command, cli: CliContext): void {
  const devices = program
    .command('devices')
    .description('scopes of devices in the device namespace (DEVICE_TOPIC_PREFIX), in Redis');
  addSet(devices, cli);
  addList(devices, cli);
  addCommand(devices, cli);
  addResult(devices, cli);
  addSimulate(devices, cli);
  addRemove(devices, cli);
}

function addSet(devices: Command, { io, env }: CliContext): void {
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
}

function addList(devices: Command, { io, env }: CliContext): void {
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
}

function addCommand(devices: Command, { io, env, exit }: CliContext): void {
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
}

function addResult(devices: Command, { io, env, exit }: CliContext): void {
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
}

function addSimulate(devices: Command, { io, env }: CliContext): void {
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
}

function addRemove(devices: Command, { io, env, exit }: CliContext): void {
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
}
