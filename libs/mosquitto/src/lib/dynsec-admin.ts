import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { DynsecAcl, DynsecRole } from './dynsec';

const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;

export class DynsecError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`dynamic security ${command}: ${reason}`);
    this.name = 'DynsecError';
  }
}

interface Response {
  command: string;
  error?: string;
  data?: Record<string, unknown>;
  correlationData?: string;
}

export interface ClientSummary {
  username: string;
  roles: string[];
  disabled: boolean;
}

/**
 * Administers a running Mosquitto through the dynamic security plugin's `$CONTROL` topic:
 * the only way to change clients and roles without a restart. Needs a client that holds the
 * plugin's admin role.
 */
export class DynsecAdmin {
  private readonly pending = new Map<string, (response: Response) => void>();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (_topic, payload) => {
      let body: { responses?: Response[] };
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch {
        return;
      }
      for (const response of body.responses ?? []) {
        const settle = response.correlationData && this.pending.get(response.correlationData);
        if (settle) {
          this.pending.delete(response.correlationData!);
          settle(response);
        }
      }
    });
  }

  static async connect(
    url: string,
    options: IClientOptions & { username: string; password: string },
  ): Promise<DynsecAdmin> {
    const client = await mqtt.connectAsync(
      url,
      {
        protocolVersion: 5,
        clientId: `dynsec-admin-${randomUUID().slice(0, 8)}`,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        ...options,
      },
      // Reject when the connection closes before CONNACK, which is not always an error.
      false,
    );
    const grants = await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
    if (grants.some((g) => g.qos === 128)) {
      await client.endAsync(true);
      throw new DynsecError('subscribe', `${options.username} may not administer this broker`);
    }
    return new DynsecAdmin(client);
  }

  /** Sends one command and resolves with its `data`; a command error rejects. */
  async command(
    command: string,
    args: Record<string, unknown> = {},
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const correlationData = randomUUID();
    const response = await new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationData);
        reject(new DynsecError(command, `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationData, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.client
        .publishAsync(
          CONTROL_TOPIC,
          JSON.stringify({ commands: [{ command, ...args, correlationData }] }),
          { qos: 1 },
        )
        .catch((error: Error) => {
          clearTimeout(timer);
          this.pending.delete(correlationData);
          reject(error);
        });
    });
    if (response.error) throw new DynsecError(command, response.error);
    return response.data ?? {};
  }

  async getRole(rolename: string): Promise<DynsecRole | undefined> {
    try {
      const data = await this.command('getRole', { rolename });
      return data['role'] as DynsecRole;
    } catch (error) {
      if (error instanceof DynsecError && /not found/i.test(error.reason)) return undefined;
      throw error;
    }
  }

  /** Creates the role, or makes an existing one's ACLs exactly `role.acls`. */
  async ensureRole(role: DynsecRole): Promise<void> {
    const existing = await this.getRole(role.rolename);
    if (!existing) {
      await this.command('createRole', {
        rolename: role.rolename,
        textdescription: role.textdescription ?? '',
        acls: role.acls.map((acl) => ({ priority: 0, ...acl })),
      });
      return;
    }
    const key = (acl: DynsecAcl) => `${acl.acltype} ${acl.topic} ${acl.allow}`;
    const wanted = new Map(role.acls.map((acl) => [key(acl), acl]));
    for (const acl of existing.acls ?? []) {
      if (!wanted.delete(key(acl))) {
        await this.command('removeRoleACL', {
          rolename: role.rolename,
          acltype: acl.acltype,
          topic: acl.topic,
        });
      }
    }
    for (const acl of wanted.values()) {
      await this.command('addRoleACL', { rolename: role.rolename, priority: 0, ...acl });
    }
  }

  async deleteRole(rolename: string): Promise<void> {
    await this.command('deleteRole', { rolename });
  }

  async getClient(username: string): Promise<ClientSummary | undefined> {
    try {
      const data = await this.command('getClient', { username });
      const client = data['client'] as {
        username: string;
        roles?: { rolename: string }[];
        disabled?: boolean;
      };
      return {
        username: client.username,
        roles: (client.roles ?? []).map((r) => r.rolename),
        disabled: client.disabled === true,
      };
    } catch (error) {
      if (error instanceof DynsecError && /not found/i.test(error.reason)) return undefined;
      throw error;
    }
  }

  /**
   * Creates the client, or sets an existing one's password and makes its roles exactly
   * `roles`, so that running this again converges on the same state.
   */
  async ensureClient(username: string, password: string, roles: readonly string[]): Promise<void> {
    const existing = await this.getClient(username);
    if (!existing) {
      await this.command('createClient', {
        username,
        password,
        roles: roles.map((rolename) => ({ rolename })),
      });
      return;
    }
    await this.command('setClientPassword', { username, password });
    for (const rolename of existing.roles.filter((r) => !roles.includes(r))) {
      await this.command('removeClientRole', { username, rolename });
    }
    for (const rolename of roles.filter((r) => !existing.roles.includes(r))) {
      await this.command('addClientRole', { username, rolename });
    }
  }

  async deleteClient(username: string): Promise<boolean> {
    try {
      await this.command('deleteClient', { username });
      return true;
    } catch (error) {
      if (error instanceof DynsecError && /not found/i.test(error.reason)) return false;
      throw error;
    }
  }

  async listClients(): Promise<ClientSummary[]> {
    const data = await this.command('listClients', { verbose: true });
    const clients = (data['clients'] ?? []) as {
      username: string;
      roles?: { rolename: string }[];
      disabled?: boolean;
    }[];
    return clients.map((c) => ({
      username: c.username,
      roles: (c.roles ?? []).map((r) => r.rolename),
      disabled: c.disabled === true,
    }));
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
