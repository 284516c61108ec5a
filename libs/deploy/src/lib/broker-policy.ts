import {
  DYNSEC_ADMIN_ROLE,
  dynsecConfig,
  type DynsecAdmin,
  type DynsecRole,
  type ClientSummary,
} from '@mqgw/mosquitto';
import { USERNAME, type DeploymentSecrets } from './secrets';

/**
 * Who may do what on the broker. Deny by default; then:
 * - the gateway reads the request namespaces (plainly or as a member of its shared group)
 *   and publishes replies;
 * - a client publishes requests and reads `replies/<its username>/#` only. Its reply space
 *   is its username, which the broker authenticated, not its client id, which anyone may
 *   claim; and no client may subscribe to requests, join the gateway's group or read `$SYS`;
 * - the healthcheck user reads `$SYS/broker/uptime`; the admin uses `$CONTROL` only.
 *
 * Mosquitto 2.0.11 substitutes `%u` in no dynamic security ACL, so each client has a role of
 * its own naming its reply space.
 */
export interface BrokerPolicyOptions {
  /** `SHARED_SUBSCRIPTION_GROUP` of the gateways. */
  sharedGroup: string;
  /** First topic levels of the request namespaces. */
  requestPrefixes: readonly string[];
  /** First level of the reply spaces: `<prefix>/<username>/#`. */
  replyPrefix: string;
  /**
   * The gateway's `DEVICE_TOPIC_PREFIX`: each client may then also publish requests under
   * `<devicePrefix>/<its username>/` and read `<devicePrefix>/<its username>/replies/#`,
   * and the gateway reads the namespace and writes the replies. For commands, a client reads
   * `<devicePrefix>/<its username>/commands/#` and writes its `command-replies/#` and
   * `status`; the gateway writes `<devicePrefix>/+/commands/#`. The broker enforcing this
   * is what lets the gateway take the username level as the caller.
   */
  devicePrefix?: string;
}

export const DEFAULT_BROKER_POLICY: BrokerPolicyOptions = {
  sharedGroup: 'gateway',
  requestPrefixes: ['api', 'gateway'],
  replyPrefix: 'replies',
};

export const ROLES = {
  gateway: 'mqgw-gateway',
  client: 'mqgw-client',
  health: 'mqgw-health',
  admin: DYNSEC_ADMIN_ROLE.rolename,
  clientOwn: (username: string) => `mqgw-client-${username}`,
};

export const BROKER_USERS = { admin: 'admin', gateway: 'gateway', health: 'health' } as const;

/** Usernames the deployment uses itself; a client may not take one of them. */
const RESERVED = new Set<string>(Object.values(BROKER_USERS));

/** The device namespace may be neither a request namespace nor the reply space. */
function assertPolicy(options: BrokerPolicyOptions): void {
  const { devicePrefix, requestPrefixes, replyPrefix } = options;
  if (devicePrefix && (requestPrefixes.includes(devicePrefix) || devicePrefix === replyPrefix)) {
    throw new Error(
      `DEVICE_TOPIC_PREFIX ${devicePrefix} must differ from ${[...requestPrefixes, replyPrefix].join(', ')}`,
    );
  }
}

export function gatewayRole(options: BrokerPolicyOptions): DynsecRole {
  assertPolicy(options);
  const { sharedGroup, requestPrefixes, replyPrefix, devicePrefix } = options;
  const consumed = devicePrefix ? [...requestPrefixes, devicePrefix] : requestPrefixes;
  return {
    rolename: ROLES.gateway,
    textdescription: 'The gateway: consumes requests, publishes replies.',
    acls: [
      ...consumed.flatMap((prefix) => [
        { acltype: 'subscribePattern' as const, topic: `${prefix}/#`, allow: true },
        {
          acltype: 'subscribePattern' as const,
          topic: `$share/${sharedGroup}/${prefix}/#`,
          allow: true,
        },
        { acltype: 'publishClientReceive' as const, topic: `${prefix}/#`, allow: true },
      ]),
      { acltype: 'publishClientSend', topic: `${replyPrefix}/#`, allow: true },
      ...(devicePrefix
        ? [
            {
              acltype: 'publishClientSend' as const,
              topic: `${devicePrefix}/+/replies/#`,
              allow: true,
            },
            // Commands to devices; their answers and statuses it reads under `<prefix>/#`.
            {
              acltype: 'publishClientSend' as const,
              topic: `${devicePrefix}/+/commands/#`,
              allow: true,
            },
          ]
        : []),
    ],
  };
}

export function clientRole(options: BrokerPolicyOptions): DynsecRole {
  return {
    rolename: ROLES.client,
    textdescription: 'Every API client: publishes requests.',
    acls: options.requestPrefixes.map((prefix) => ({
      acltype: 'publishClientSend' as const,
      topic: `${prefix}/#`,
      allow: true,
    })),
  };
}

/** One client's own role: its reply space, by username. */
export function clientOwnRole(username: string, options: BrokerPolicyOptions): DynsecRole {
  assertPolicy(options);
  const space = `${options.replyPrefix}/${username}/#`;
  const device = options.devicePrefix && `${options.devicePrefix}/${username}`;
  return {
    rolename: ROLES.clientOwn(username),
    textdescription: `Replies to ${username}${device ? `, and its device namespace ${device}/` : ''}.`,
    acls: [
      { acltype: 'subscribePattern', topic: space, allow: true },
      { acltype: 'publishClientReceive', topic: space, allow: true },
      ...(device
        ? [
            ...options.requestPrefixes.map((prefix) => ({
              acltype: 'publishClientSend' as const,
              topic: `${device}/${prefix}/#`,
              allow: true,
            })),
            { acltype: 'subscribePattern' as const, topic: `${device}/replies/#`, allow: true },
            {
              acltype: 'publishClientReceive' as const,
              topic: `${device}/replies/#`,
              allow: true,
            },
            // Commands to this device only; its answers and its own retained status.
            { acltype: 'subscribePattern' as const, topic: `${device}/commands/#`, allow: true },
            {
              acltype: 'publishClientReceive' as const,
              topic: `${device}/commands/#`,
              allow: true,
            },
            {
              acltype: 'publishClientSend' as const,
              topic: `${device}/command-replies/#`,
              allow: true,
            },
            { acltype: 'publishClientSend' as const, topic: `${device}/status`, allow: true },
          ]
        : []),
    ],
  };
}

export const HEALTH_ROLE: DynsecRole = {
  rolename: ROLES.health,
  textdescription: "The broker's healthcheck.",
  acls: [
    { acltype: 'subscribeLiteral', topic: '$SYS/broker/uptime', allow: true },
    { acltype: 'publishClientReceive', topic: '$SYS/broker/uptime', allow: true },
  ],
};

/**
 * The plugin's configuration file before the broker first starts: the admin and the
 * healthcheck user only. Everything else is provisioned through `$CONTROL`, so that a
 * restart converges on the same state without losing clients added at run time.
 */
export function brokerBootstrap(secrets: DeploymentSecrets): Record<string, unknown> {
  return dynsecConfig({
    clients: [
      { username: BROKER_USERS.admin, password: secrets.mqtt.admin, roles: [ROLES.admin] },
      { username: BROKER_USERS.health, password: secrets.mqtt.health, roles: [ROLES.health] },
    ],
    roles: [DYNSEC_ADMIN_ROLE, HEALTH_ROLE],
  });
}

/** Makes the running broker's roles, gateway user and first client match `secrets`. */
export async function provisionBroker(
  admin: DynsecAdmin,
  secrets: { mqtt: Pick<DeploymentSecrets['mqtt'], 'gateway' | 'client'> },
  options: BrokerPolicyOptions = DEFAULT_BROKER_POLICY,
): Promise<void> {
  await admin.ensureRole(HEALTH_ROLE);
  await admin.ensureRole(gatewayRole(options));
  await admin.ensureRole(clientRole(options));
  await admin.ensureClient(BROKER_USERS.gateway, secrets.mqtt.gateway, [ROLES.gateway]);
  await addClient(admin, secrets.mqtt.client.username, secrets.mqtt.client.password, options);
}

/** Adds (or resets) an API client with its own reply space. */
export async function addClient(
  admin: DynsecAdmin,
  username: string,
  password: string,
  options: BrokerPolicyOptions = DEFAULT_BROKER_POLICY,
): Promise<void> {
  assertClientName(username);
  await admin.ensureRole(clientRole(options));
  await admin.ensureRole(clientOwnRole(username, options));
  await admin.ensureClient(username, password, [ROLES.client, ROLES.clientOwn(username)]);
}

/** Removes an API client and its role; false when there was none. */
export async function removeClient(admin: DynsecAdmin, username: string): Promise<boolean> {
  assertClientName(username);
  const removed = await admin.deleteClient(username);
  if (await admin.getRole(ROLES.clientOwn(username))) {
    await admin.deleteRole(ROLES.clientOwn(username));
  }
  return removed;
}

/** The API clients (users holding the client role). */
export async function listClients(admin: DynsecAdmin): Promise<ClientSummary[]> {
  return (await admin.listClients()).filter((c) => c.roles.includes(ROLES.client));
}

function assertClientName(username: string): void {
  if (!USERNAME.test(username)) {
    throw new Error(`client name ${JSON.stringify(username)}: use 1 to 64 of A-Z a-z 0-9 _ . -`);
  }
  if (RESERVED.has(username)) throw new Error(`client name ${username} is reserved`);
}
