import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';

/**
 * Mosquitto's dynamic security plugin: its configuration file, written before the broker
 * first starts, and the shapes its `$CONTROL` API speaks. The plugin checks subscriptions as
 * well as deliveries (the plain `acl_file` does not), which is why the deployment uses it.
 */
export type AclType =
  | 'publishClientSend'
  | 'publishClientReceive'
  | 'subscribeLiteral'
  | 'subscribePattern'
  | 'unsubscribeLiteral'
  | 'unsubscribePattern';

export interface DynsecAcl {
  acltype: AclType;
  /** A topic or filter; `%u` (username) and `%c` (client id) work in publish ACLs only. */
  topic: string;
  /** Higher is checked first. */
  priority?: number;
  allow: boolean;
}

export interface DynsecRole {
  rolename: string;
  textdescription?: string;
  acls: DynsecAcl[];
}

export interface DynsecClient {
  username: string;
  password: string;
  textdescription?: string;
  roles: string[];
}

export interface DefaultAclAccess {
  publishClientSend: boolean;
  publishClientReceive: boolean;
  subscribe: boolean;
  unsubscribe: boolean;
}

/** Deny by default, except unsubscribing: every grant is explicit. */
export const DENY_BY_DEFAULT: DefaultAclAccess = {
  publishClientSend: false,
  publishClientReceive: false,
  subscribe: false,
  unsubscribe: true,
};

/** The role Mosquitto's own `dynsec init` gives its admin: the `$CONTROL` API, nothing else. */
export const DYNSEC_ADMIN_ROLE: DynsecRole = {
  rolename: 'dynsec-admin',
  textdescription: 'Administers clients, groups and roles through $CONTROL.',
  acls: [
    { acltype: 'publishClientSend', topic: '$CONTROL/dynamic-security/#', allow: true },
    { acltype: 'publishClientReceive', topic: '$CONTROL/dynamic-security/#', allow: true },
    { acltype: 'subscribePattern', topic: '$CONTROL/dynamic-security/#', allow: true },
  ],
};

/** Iterations of PBKDF2-SHA512, as `mosquitto_ctrl dynsec init` uses for its admin. */
export const DYNSEC_ITERATIONS = 10_000;

/** A password as the plugin stores it: PBKDF2-SHA512 over a 12-byte salt, base64. */
export function hashDynsecPassword(
  password: string,
  salt: Buffer = randomBytes(12),
  iterations = DYNSEC_ITERATIONS,
): { password: string; salt: string; iterations: number } {
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return { password: hash.toString('base64'), salt: salt.toString('base64'), iterations };
}

/**
 * One line of a Mosquitto `password_file`, as `mosquitto_passwd` writes it:
 * `<user>:$7$<iterations>$<salt>$<PBKDF2-SHA512 hash>`.
 */
export function passwordFileLine(username: string, password: string, iterations = 101): string {
  const hashed = hashDynsecPassword(password, randomBytes(12), iterations);
  return `${username}:$7$${iterations}$${hashed.salt}$${hashed.password}`;
}

/** The plugin's configuration file with these clients and roles, passwords hashed. */
export function dynsecConfig(options: {
  clients: readonly DynsecClient[];
  roles: readonly DynsecRole[];
  defaultACLAccess?: DefaultAclAccess;
}): Record<string, unknown> {
  return {
    defaultACLAccess: options.defaultACLAccess ?? DENY_BY_DEFAULT,
    clients: options.clients.map((client) => ({
      username: client.username,
      textname: client.textdescription ?? '',
      ...hashDynsecPassword(client.password),
      roles: client.roles.map((rolename) => ({ rolename })),
    })),
    groups: [],
    roles: options.roles.map((role) => ({
      rolename: role.rolename,
      textdescription: role.textdescription ?? '',
      acls: role.acls.map((acl) => ({ priority: 0, ...acl })),
    })),
  };
}

/** The plugin's shared object: `MOSQUITTO_DYNSEC_PLUGIN`, then the usual places. */
export function findDynsecPlugin(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const candidates = [
    env['MOSQUITTO_DYNSEC_PLUGIN'],
    '/usr/lib/mosquitto_dynamic_security.so',
    '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
    '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
    '/usr/local/lib/mosquitto_dynamic_security.so',
    '/opt/homebrew/lib/mosquitto_dynamic_security.so',
  ];
  return candidates.find((candidate) => {
    if (!candidate) return false;
    try {
      accessSync(candidate, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });
}
