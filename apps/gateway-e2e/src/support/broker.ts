import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findMosquitto,
  mosquittoConfig,
  portOpen,
  type MosquittoConfigOptions,
} from '@mqgw/mosquitto';
import { freePort, LOG_DIR, spawnLogged, waitFor, type ManagedProcess } from './processes';

/**
 * A private Mosquitto for one test file: real broker, own port, `set_tcp_nodelay`, and
 * nothing shared with other runs. `TEST_MQTT_URL` points the suite at an existing broker instead.
 */
export class TestBroker {
  private process?: ManagedProcess;

  private constructor(
    readonly port: number,
    private readonly configFile: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** `options` may give the broker a password and ACL file (readable by its user). */
  static async start(name: string, options: MosquittoConfigOptions = {}): Promise<TestBroker> {
    const port = await freePort();
    mkdirSync(LOG_DIR, { recursive: true });
    const configFile = join(LOG_DIR, `${name}-mosquitto.conf`);
    writeFileSync(configFile, mosquittoConfig(port, options));
    const broker = new TestBroker(port, configFile);
    await broker.startProcess(name);
    return broker;
  }

  async startProcess(name = `mosquitto-${this.port}`): Promise<void> {
    this.process = spawnLogged(name, findMosquitto() ?? 'mosquitto', ['-c', this.configFile], {});
    await waitFor(`mosquitto on ${this.port}`, () => portOpen(this.port), 10_000);
  }

  async stop(): Promise<void> {
    await this.process?.stop('SIGTERM', 3000);
  }
}
