import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ROTATABLE, provisionBroker, runSetup, type Rotatable } from '@mqgw/deploy';
import { withAdmin, policy } from './broker-admin';
import type { CliContext } from './context';
import { UsageError } from './connections';
import { mintToken } from './mint-token';
import { positiveInt } from './options';

/** `credentials`, `ca`, `setup` and `broker provision`: preparing a deployment. */
export function addDeploymentCommands(program: Command, cli: CliContext): void {
  addCredentials(program, cli);
  addCa(program, cli);
  addSetup(program, cli);
  addBrokerProvision(program, cli);
}

function addCredentials(program: Command, { io, env }: CliContext): void {
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
}

function addCa(program: Command, { io, env }: CliContext): void {
  program
    .command('ca')
    .description('print the CA certificate clients should trust for TLS (MQTT_CA_FILE)')
    .action(() => {
      const file = env().MQTT_CA_FILE;
      if (!file) throw new UsageError('set MQTT_CA_FILE');
      io.out(readFileSync(file, 'utf8').trimEnd());
    });
}

function addSetup(program: Command, { io, env }: CliContext): void {
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
}

function addBrokerProvision(program: Command, { io, env }: CliContext): void {
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
}

function rotatable(value: string): Rotatable[] {
  const names = value.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(ROTATABLE as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`expected ${ROTATABLE.join(', ')}; got ${unknown.join(', ')}`);
  }
  return names as Rotatable[];
}
