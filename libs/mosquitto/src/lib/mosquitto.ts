import { accessSync, constants } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export interface MosquittoConfigOptions {
  /**
   * Authenticate and authorise with the dynamic security plugin and this configuration
   * file instead of admitting anonymous clients.
   */
  dynsec?: { plugin: string; configFile: string };
  /**
   * Authenticate with a `password_file` and authorise with an `acl_file` (Mosquitto's
   * built-in checks, which cover publishing and delivery but not subscribing).
   */
  files?: { passwordFile: string; aclFile: string };
  /** Also listen for MQTT over WebSocket (browsers) on 127.0.0.1:`websocketPort`. */
  websocketPort?: number;
}

/**
 * A private Mosquitto's configuration: loopback only, `set_tcp_nodelay` (Nagle costs 40 ms
 * and more per round trip otherwise), nothing kept on disk; anonymous unless `dynsec` is set.
 */
export function mosquittoConfig(port: number, options: MosquittoConfigOptions = {}): string {
  return [
    `listener ${port} 127.0.0.1`,
    ...(options.dynsec
      ? [
          'allow_anonymous false',
          `plugin ${options.dynsec.plugin}`,
          `plugin_opt_config_file ${options.dynsec.configFile}`,
        ]
      : options.files
        ? [
            'allow_anonymous false',
            `password_file ${options.files.passwordFile}`,
            `acl_file ${options.files.aclFile}`,
          ]
        : ['allow_anonymous true']),
    'set_tcp_nodelay true',
    'persistence false',
    'max_queued_messages 10000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ...(options.websocketPort
      ? [`listener ${options.websocketPort} 127.0.0.1`, 'protocol websockets']
      : []),
    '',
  ].join('\n');
}

/** The mosquitto binary: `MOSQUITTO_BIN`, then PATH, then the usual sbin places. */
export function findMosquitto(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const candidates = [
    env['MOSQUITTO_BIN'],
    ...(env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'mosquitto')),
    '/usr/sbin/mosquitto',
    '/usr/local/sbin/mosquitto',
    '/opt/homebrew/sbin/mosquitto',
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** True when something accepts connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
