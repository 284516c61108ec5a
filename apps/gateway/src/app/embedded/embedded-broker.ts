import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createBrokerDir,
  findMosquitto,
  mosquittoConfig,
  portFree,
  portOpen,
} from '@mqgw/mosquitto';

export class EmbeddedBrokerError extends Error {}

/**
 * The broker the gateway starts for itself when `MQTT_URL` is unset: a Mosquitto child
 * process on 127.0.0.1:`port`, with TCP_NODELAY, stopped with the gateway, its temporary
 * folder removed.
 *
 * Why not aedes, the usual in-process Node broker: aedes 1.2 refuses MQTT 5 connections
 * ("Unacceptable protocol version"), and the gateway's contract (response topic,
 * correlation data, user properties) is MQTT 5.
 */
export class EmbeddedBroker {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static async start(port: number, binary = findMosquitto()): Promise<EmbeddedBroker> {
    if (!binary) {
      throw new EmbeddedBrokerError(
        'MQTT_URL is unset and no mosquitto binary was found: install Mosquitto 2 (e.g. apt-get install mosquitto) or set MQTT_URL',
      );
    }
    if (!(await portFree(port))) {
      throw new EmbeddedBrokerError(
        `MQTT_PORT ${port} is already in use (is a broker running there?): set MQTT_URL=mqtt://127.0.0.1:${port} to use it, or choose another MQTT_PORT`,
      );
    }
    // Removed on exit; one left by a killed gateway goes at the next start.
    const config = join(createBrokerDir(), 'mosquitto.conf');
    writeFileSync(config, mosquittoConfig(port));
    const broker = new EmbeddedBroker(port);
    broker.child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'inherit'] });
    const child = broker.child;
    process.once('exit', () => child.kill('SIGTERM'));
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null)
        throw new EmbeddedBrokerError(`the embedded broker exited with code ${child.exitCode}`);
      if (await portOpen(port)) return broker;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    throw new EmbeddedBrokerError(`the embedded broker did not open port ${port} within 5 s`);
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }
}
