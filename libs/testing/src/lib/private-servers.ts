import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findMosquitto,
  mosquittoConfig,
  portOpen,
  type MosquittoConfigOptions,
} from '@mqgw/mosquitto';
import { freePort } from './services';

export interface PrivateServer {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Stops the process and starts it again on the same port, with nothing kept. */
  restart(): Promise<void>;
}

/**
 * A real Mosquitto on a private loopback port, with the project's TCP settings. A dynamic
 * security file (or a password and ACL file) is copied into the broker's own directory,
 * which the plugin may rewrite: started as root, Mosquitto drops to its own user, so that
 * directory is open to it.
 */
export async function startMosquitto(options: MosquittoConfigOptions = {}): Promise<PrivateServer> {
  const binary = findMosquitto();
  if (!binary) throw new Error('the mosquitto binary is missing (apt-get install mosquitto)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mqgw-mosquitto-'));
  chmodSync(dir, 0o777);
  let dynsec = options.dynsec;
  if (dynsec) {
    const copy = join(dir, 'dynamic-security.json');
    copyFileSync(dynsec.configFile, copy);
    chmodSync(copy, 0o666);
    dynsec = { ...dynsec, configFile: copy };
  }
  let files = options.files;
  if (files) {
    const passwordFile = join(dir, 'passwd');
    const aclFile = join(dir, 'acl');
    copyFileSync(files.passwordFile, passwordFile);
    copyFileSync(files.aclFile, aclFile);
    for (const file of [passwordFile, aclFile]) chmodSync(file, 0o644);
    files = { passwordFile, aclFile };
  }
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(config, mosquittoConfig(port, { ...options, dynsec, files }), { mode: 0o644 });
  return startProcess(binary, ['-c', config], port, `mqtt://127.0.0.1:${port}`, dir);
}

/** A real standalone redis-server on a private loopback port; `args` are extra options. */
export async function startRedisServer(args: readonly string[] = []): Promise<PrivateServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mqgw-redis-'));
  return startProcess(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...args,
    ],
    port,
    `redis://127.0.0.1:${port}`,
    dir,
  );
}

async function startProcess(
  command: string,
  args: string[],
  port: number,
  url: string,
  dir: string,
): Promise<PrivateServer> {
  let running = await launch(command, args, port);
  const kill = async () => {
    const { child, exited } = running;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  };
  return {
    port,
    url,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await kill();
      running = await launch(command, args, port);
    },
  };
}

/** Starts `command` and waits until it accepts connections on `port`. */
async function launch(
  command: string,
  args: string[],
  port: number,
): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  let output = '';
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (output += error.message));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command} did not start on ${port}: ${output.trim().slice(-500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { child, exited };
}
