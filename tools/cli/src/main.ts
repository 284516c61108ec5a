import { Command, CommanderError } from 'commander';
import { ConfigError } from '@mqgw/config';
import { RoutesFileError } from '@mqgw/routes';
import { readCliConfig } from './cli.config';
import { addClientCommands } from './commands/clients.commands';
import { UsageError } from './commands/connections';
import type { CliContext } from './commands/context';
import { addDeploymentCommands } from './commands/deployment.commands';
import { addDeviceCommands } from './commands/devices.commands';
import { addKeyCommands } from './commands/keys.commands';
import { addRequestCommands } from './commands/request.commands';
import { addRoutesCommands } from './commands/routes.commands';
import type { Io } from './io';

export type { Io } from './io';

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

  const cli: CliContext = { io, env, exit };
  addRequestCommands(program, cli);
  addKeyCommands(program, cli);
  addRoutesCommands(program, cli);
  addDeviceCommands(program, cli);
  addClientCommands(program, cli);
  addDeploymentCommands(program, cli);
  return program;
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
