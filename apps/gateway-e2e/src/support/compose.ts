import { spawn } from 'node:child_process';
import { portFree } from '@mqgw/mosquitto';
import { WORKSPACE, freePort } from './processes';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, with a time limit. */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; stdin?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: WORKSPACE,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('error', (error) => (stderr += error.message));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits without reading its input closes the pipe: EPIPE is no failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * `docker compose` on the project's docker-compose.yml, as a project of its own: its own
 * containers, network, volumes and image tag, on free host ports, so it collides with
 * nothing already running on this machine and removes all of it when done.
 */
export class ComposeProject {
  readonly env: Record<string, string>;

  private constructor(
    readonly name: string,
    readonly ports: { mqtt: number; ws: number; mqtts: number; wss: number; gateways: number[] },
    /** The compose files, in order (`-f`); more than the one for an override. */
    readonly files: string[],
  ) {
    this.env = {
      COMPOSE_PROJECT_NAME: name,
      // For docker-compose.ports.yml: one host port per gateway replica.
      GATEWAY_PUBLIC_PORTS: `${ports.gateways[0]}-${ports.gateways[1]}`,
      MQGW_IMAGE: `${name}:e2e`,
      MQTT_PUBLIC_PORT: String(ports.mqtt),
      MQTT_WS_PUBLIC_PORT: String(ports.ws),
      MQTTS_PUBLIC_PORT: String(ports.mqtts),
      MQTT_WSS_PUBLIC_PORT: String(ports.wss),
      // Settings from a developer's .env or shell must not leak into the test.
      JWT_SECRET: '',
      MQTT_CLIENT_USERNAME: '',
      MQTT_CLIENT_PASSWORD: '',
      PUBLIC_BIND_ADDRESS: '127.0.0.1',
    };
  }

  static async create(
    label: string,
    files: string[] = ['docker-compose.yml'],
  ): Promise<ComposeProject> {
    const name = `mqgw-${label}-${process.pid}-${Date.now().toString(36)}`;
    const [mqtt, ws, mqtts, wss] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    return new ComposeProject(name, { mqtt, ws, mqtts, wss, gateways: await portPair() }, files);
  }

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.ports.mqtt}`;
  }

  compose(args: string[], timeoutMs = 300_000, stdin?: string): Promise<RunResult> {
    const files = this.files.flatMap((file) => ['-f', file]);
    return runCommand('docker', ['compose', ...files, ...args], {
      env: this.env,
      timeoutMs,
      stdin,
    });
  }

  /** The container ids of a service's replicas, in replica order. */
  async containers(service: string): Promise<string[]> {
    const ps = await this.compose(['ps', '-q', '--all', service]);
    const ids = ps.stdout.split('\n').filter(Boolean);
    const indexed = await Promise.all(
      ids.map(async (id) => {
        const inspect = await runCommand('docker', [
          'inspect',
          '--format',
          '{{index .Config.Labels "com.docker.compose.container-number"}}',
          id,
        ]);
        return { id, index: Number(inspect.stdout.trim()) };
      }),
    );
    return indexed.sort((a, b) => a.index - b.index).map((c) => c.id);
  }

  /** Removes everything this project created: containers, network, volumes and image. */
  async destroy(): Promise<void> {
    await this.compose([
      '--profile',
      'tools',
      'down',
      '--volumes',
      '--remove-orphans',
      '--timeout',
      '5',
    ]);
    await runCommand('docker', ['image', 'rm', '--force', this.env['MQGW_IMAGE']]);
  }
}

/** Two free ports in a row, for a range of host ports. */
async function portPair(): Promise<number[]> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await portFree(port + 1))) return [port, port + 1];
  }
}
