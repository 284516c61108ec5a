import { DEVICE_NAME } from '@mqgw/auth';
import type { RouteTable } from '@mqgw/routes';
import type { ReplyVerdict } from './reply-topic.policy';

/** A request published under a device's own topics, `<prefix>/<device>/<route topic>`. */
export interface DeviceTopic {
  device: string;
  /** The topic after the device level, matched against the route table. */
  routeTopic: string;
  /** Where the device's reply goes without a `responseTopic`. */
  replyTopic: string;
}

/**
 * The device namespace (`DEVICE_TOPIC_PREFIX`): every route is also served under
 * `<prefix>/<username>/`, and the broker, which lets a client publish only under its own
 * username, vouches for the caller. So the gateway trusts the username level exactly as
 * far as the broker enforces it, and checks what it can: the level must be a plain device
 * name, and never the gateway's own login.
 */
export class DeviceNamespace {
  constructor(
    readonly prefix: string,
    /** The gateway's own broker login: never a device. */
    private readonly gatewayUsername?: string,
  ) {}

  /** The filters to subscribe to: each route's, under `<prefix>/+/`. */
  filters(routeFilters: readonly string[]): string[] {
    return routeFilters.map((filter) => `${this.prefix}/+/${filter}`);
  }

  /** The filter of every device's reply space, for the loop check. */
  get space(): string {
    return `${this.prefix}/#`;
  }

  /**
   * `undefined` for a topic outside the namespace; otherwise the device and route topic, or
   * why the username level cannot be a device.
   */
  parse(topic: string): DeviceTopic | { invalid: string } | undefined {
    if (!topic.startsWith(`${this.prefix}/`)) return undefined;
    const rest = topic.slice(this.prefix.length + 1);
    const slash = rest.indexOf('/');
    const device = slash < 0 ? rest : rest.slice(0, slash);
    if (!DEVICE_NAME.test(device)) return { invalid: 'not_a_device_name' };
    if (device === this.gatewayUsername) return { invalid: 'gateway_login' };
    const routeTopic = slash < 0 ? '' : rest.slice(slash + 1);
    return {
      device,
      routeTopic,
      replyTopic: `${this.prefix}/${device}/replies/${routeTopic}`,
    };
  }

  /**
   * Refuses a table that cannot be served next to the namespace: a route whose first level
   * is the prefix would be read as a device, and one under `replies/` would receive devices'
   * replies. The one place this is checked, at boot and on every reload.
   */
  checkRoutes(table: RouteTable): void {
    const namespaces = new Set(table.routes.map((r) => r.namespace));
    if (namespaces.has(this.prefix)) {
      throw new NamespaceConflictError(
        `DEVICE_TOPIC_PREFIX ${this.prefix} is also the first level of routes`,
      );
    }
    if (namespaces.has('replies')) {
      throw new NamespaceConflictError("a route under replies/ would receive devices' replies");
    }
  }

  /** An MQTT 5 `responseTopic` of a device request: only inside its own reply space. */
  checkReply(device: DeviceTopic, responseTopic: string): ReplyVerdict {
    const space = `${this.prefix}/${device.device}/replies/`;
    if (!responseTopic.startsWith(space) || responseTopic.length === space.length) {
      return { unsafe: 'not_allowed' };
    }
    if (/[+#\u0000]/.test(responseTopic) || responseTopic.length > 1024) {
      return { unsafe: 'invalid' };
    }
    return {};
  }
}

/** `DEVICE_TOPIC_PREFIX`: one plain topic level. */
export function isDevicePrefix(prefix: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(prefix);
}

/** A route table and `DEVICE_TOPIC_PREFIX` that cannot be served together. */
export class NamespaceConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamespaceConflictError';
  }
}
