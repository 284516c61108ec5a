import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mintDevToken } from '@mqgw/auth/testing';
import type { MosquittoConfigOptions } from '@mqgw/mosquitto';
import {
  connectRequester,
  openTestRedis,
  type MqttRequester,
  type RequesterOptions,
  type TestRedis,
} from '@mqgw/testing';
import { TestBroker } from './broker';
import {
  freePort,
  httpOk,
  spawnLogged,
  waitFor,
  WORKSPACE,
  type ManagedProcess,
} from './processes';

export const SERVICE_APPS = [
  'user-service',
  'order-service',
  'payment-service',
  'notification-service',
] as const;
export type ServiceApp = (typeof SERVICE_APPS)[number];

/** The HS256 secret every e2e gateway is started with. */
export const TEST_JWT_SECRET = 'e2e-secret-e2e-secret-e2e-secret-0123456789';

export function mainOf(app: string): string {
  const main = join(WORKSPACE, 'dist/apps', app, 'apps', app, 'src/main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: build first (npx nx run-many -t build)`);
  return main;
}

export interface StackOptions {
  /** Names log files and client ids. */
  name: string;
  services?: readonly ServiceApp[];
  gateways?: number;
  gatewayEnv?: Record<string, string>;
  /** Start the gateways only (for tests that bring their own upstreams). */
  noServices?: boolean;
  /** The private broker's authentication and ACL (anonymous when unset). */
  broker?: MosquittoConfigOptions;
}

export interface GatewayHandle {
  index: number;
  process: ManagedProcess;
  httpUrl: string;
  clientId: string;
  env: Record<string, string>;
}

export interface ServiceHandle {
  process: ManagedProcess;
  url: string;
}

/**
 * The real system for one test file: a private Mosquitto, the shared Redis under a
 * run-unique key prefix, the stub services and N gateways, each a separate process
 * started from its production build.
 */
export class Stack {
  readonly gateways: GatewayHandle[] = [];
  readonly services = new Map<ServiceApp, ServiceHandle>();
  private readonly requesters: MqttRequester[] = [];

  private constructor(
    readonly name: string,
    readonly broker: TestBroker,
    readonly redis: TestRedis,
  ) {}

  get prefix(): string {
    return this.redis.prefix;
  }

  get mqttUrl(): string {
    return process.env['TEST_MQTT_URL'] ?? this.broker.url;
  }

  static async start(options: StackOptions): Promise<Stack> {
    const broker = await TestBroker.start(options.name, options.broker);
    const redis = await openTestRedis(`e2e-${options.name}`);
    const stack = new Stack(options.name, broker, redis);
    try {
      if (!options.noServices)
        for (const app of options.services ?? SERVICE_APPS) await stack.startService(app);
      for (let i = 0; i < (options.gateways ?? 1); i++)
        await stack.startGateway(options.gatewayEnv ?? {});
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  async startService(
    app: ServiceApp,
    extraEnv: Record<string, string> = {},
  ): Promise<ServiceHandle> {
    const port = await freePort();
    const orders = this.services.get('order-service');
    const env = {
      PORT: String(port),
      // The payment service asks the order service for the order it charges.
      ...(app === 'payment-service' && orders ? { ORDER_SERVICE_URL: orders.url } : {}),
      REDIS_URL: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: this.prefix,
      HEARTBEAT_SECONDS: '1',
      REGISTRY_TTL_SECONDS: '3',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const instanceId = `${app}-${port}`;
    const proc = spawnLogged(`${this.name}-${app}`, process.execPath, [mainOf(app)], {
      INSTANCE_ID: instanceId,
      ...env,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      `${app} health`,
      () => httpOk(`${url}/health`),
      20_000,
      () => (proc.running ? undefined : `the process exited; see ${proc.logFile}`),
    );
    // Registration follows the first health answer: wait until the registry has it.
    await waitFor(`${app} registration`, async () => {
      const key = `${this.prefix}services:{${app}}:data`;
      return (await this.redis.redis.hexists(key, instanceId)) === 1;
    });
    const handle = { process: proc, url };
    this.services.set(app, handle);
    return handle;
  }

  async stopService(app: ServiceApp, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.services.get(app)?.process.stop(signal);
    this.services.delete(app);
  }

  gatewayEnv(index: number, extra: Record<string, string> = {}): Record<string, string> {
    return {
      MQTT_URL: this.mqttUrl,
      MQTT_CLIENT_ID: `${this.prefix}gw-${index}`.replace(/[^\w.:-]/g, '-').slice(0, 64),
      MQTT_SESSION_EXPIRY_SECONDS: '0',
      REDIS_URL: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: this.prefix,
      DISCOVERY_REFRESH_MS: '500',
      METRICS_FLUSH_MS: '50',
      SHUTDOWN_GRACE_MS: '5000',
      LOG_LEVEL: 'warn',
      JWT_SECRET: TEST_JWT_SECRET,
      ...extra,
    };
  }

  /** A bearer header value for `sub` with `scopes`, signed with the stack's secret. */
  async bearer(sub = 'user-1', scopes: string[] = []): Promise<string> {
    return `Bearer ${await mintDevToken({ secret: TEST_JWT_SECRET, sub, scopes })}`;
  }

  async startGateway(extraEnv: Record<string, string> = {}): Promise<GatewayHandle> {
    const index = this.gateways.length;
    const httpPort = await freePort();
    const env: Record<string, string> = {
      ...this.gatewayEnv(index, extraEnv),
      HTTP_PORT: String(httpPort),
    };
    const proc = spawnLogged(
      `${this.name}-gateway-${index}`,
      process.execPath,
      [mainOf('gateway')],
      env,
    );
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await waitFor(
      `gateway ${index} readiness`,
      () => httpOk(`${httpUrl}/health/ready`),
      20_000,
      () => (proc.running ? undefined : `the process exited; see ${proc.logFile}`),
    );
    const handle = { index, process: proc, httpUrl, clientId: env['MQTT_CLIENT_ID'], env };
    this.gateways.push(handle);
    return handle;
  }

  /** A connected MQTT 5 client, closed with the stack. */
  async requester(options: RequesterOptions = {}): Promise<MqttRequester> {
    const requester = await connectRequester(this.mqttUrl, options);
    this.requesters.push(requester);
    return requester;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.requesters.map((r) => r.close()));
    await Promise.allSettled(this.gateways.map((g) => g.process.stop()));
    await Promise.allSettled([...this.services.values()].map((s) => s.process.stop()));
    await this.broker.stop().catch(() => undefined);
    await this.redis.close();
  }
}

/**
 * Runs `tools/scripts/stack.mjs` (what `npm run stack` runs) on free service ports and
 * waits until each gateway replica (`HTTP_PORT + i * 100`) is ready.
 */
export async function startStackScript(
  name: string,
  httpPort: number,
  env: Record<string, string>,
  replicas = 1,
): Promise<ManagedProcess> {
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const stack = spawnLogged(name, process.execPath, [join(WORKSPACE, 'tools/scripts/stack.mjs')], {
    HTTP_PORT: String(httpPort),
    USER_SERVICE_PORT: String(ports[0]),
    ORDER_SERVICE_PORT: String(ports[1]),
    PAYMENT_SERVICE_PORT: String(ports[2]),
    NOTIFICATION_SERVICE_PORT: String(ports[3]),
    LOG_LEVEL: 'warn',
    ...env,
  });
  for (let i = 0; i < replicas; i++) {
    const port = httpPort + i * 100;
    await waitFor(
      `gateway on ${port}`,
      () => httpOk(`http://127.0.0.1:${port}/health/ready`),
      30_000,
      () => (stack.running ? undefined : `the stack exited; see ${stack.logFile}`),
    );
  }
  return stack;
}
