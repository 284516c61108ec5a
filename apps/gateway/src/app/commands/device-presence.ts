import type { DeviceStatus } from '@mqgw/contracts';

export interface Presence {
  status: DeviceStatus;
  /** 5 when the device said it speaks MQTT 5 (user property `protocol: 5`); else 4. */
  protocol: 4 | 5;
  /** When this gateway learned it, epoch ms. */
  since: number;
}

/**
 * Which devices are online, from their retained `<prefix>/<name>/status`: every instance
 * subscribes to all of them, so each knows at once whether a device can answer. Only a
 * device may write its own status (the broker's rules), so the map holds at most one entry
 * per broker login; it is bounded all the same, and a device past the bound counts as
 * offline.
 */
export class DevicePresence {
  private readonly devices = new Map<string, Presence>();
  private online = 0;
  /** Status updates refused because the map was full. */
  overflow = 0;

  constructor(private readonly max: number) {}

  get onlineCount(): number {
    return this.online;
  }

  get size(): number {
    return this.devices.size;
  }

  /** A retained status; an empty payload (the status was cleared) forgets the device. */
  update(device: string, payload: string, protocol: 4 | 5, now = Date.now()): void {
    const before = this.devices.get(device);
    if (payload === '') {
      if (before?.status === 'online') this.online--;
      this.devices.delete(device);
      return;
    }
    const status: DeviceStatus = payload === 'online' ? 'online' : 'offline';
    if (!before && this.devices.size >= this.max) {
      this.overflow++;
      return;
    }
    if (before?.status === 'online') this.online--;
    if (status === 'online') this.online++;
    this.devices.set(device, { status, protocol, since: now });
  }

  get(device: string): Presence | undefined {
    return this.devices.get(device);
  }

  /** Online devices first, then by name; at most `limit`. */
  list(limit: number): ({ name: string } & Presence)[] {
    return [...this.devices.entries()]
      .map(([name, p]) => ({ name, ...p }))
      .sort((a, b) =>
        a.status === b.status ? a.name.localeCompare(b.name) : a.status === 'online' ? -1 : 1,
      )
      .slice(0, limit);
  }
}
