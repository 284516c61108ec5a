import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { DynsecAdmin, findDynsecPlugin } from '@mqgw/mosquitto';
import { startMosquitto, type PrivateServer } from '@mqgw/testing';
import {
  BROKER_USERS,
  DEFAULT_BROKER_POLICY,
  addClient,
  gatewayRole,
  brokerBootstrap,
  listClients,
  provisionBroker,
  removeClient,
} from './broker-policy';
import { loadOrCreateSecrets, type DeploymentSecrets } from './secrets';

/**
 * The broker policy the deployment ships, on a real Mosquitto with the dynamic security
 * plugin: each attack one client with a valid account could try on another.
 */
describe('broker policy on a real Mosquitto', () => {
  let broker: PrivateServer;
  let secrets: DeploymentSecrets;
  let admin: DynsecAdmin;
  const clients: MqttClient[] = [];
  const policy = { ...DEFAULT_BROKER_POLICY, devicePrefix: 'things' };

  const connect = async (username: string, password: string, clientId?: string) => {
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      username,
      password,
      clientId: clientId ?? `${username}-${Math.random().toString(36).slice(2, 8)}`,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(client);
    return client;
  };
  /** The reason code the broker granted for one subscription: < 128 is success. */
  const grant = async (client: MqttClient, filter: string): Promise<number> => {
    try {
      return (await client.subscribeAsync(filter, { qos: 1 }))[0].qos;
    } catch (error) {
      // mqtt.js rejects a refused subscription with the SUBACK it received.
      const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
      if (granted) return granted[0];
      throw error;
    }
  };
  const received = (client: MqttClient) => {
    const messages: string[] = [];
    client.on('message', (topic, payload) => messages.push(`${topic} ${payload}`));
    return messages;
  };
  /** Waits for the broker to route everything published so far by `via`. */
  const settle = async (via: MqttClient, probe: MqttClient, probeTopic: string) => {
    const seen = received(probe);
    await via.publishAsync(probeTopic, 'probe', { qos: 1 });
    const deadline = Date.now() + 3000;
    while (!seen.some((m) => m.startsWith(probeTopic)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen.some((m) => m.startsWith(probeTopic))).toBe(true);
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    secrets = loadOrCreateSecrets(join(dir, 'secrets.json'), {
      clientUsername: 'alice',
      clientPassword: 'alice-password',
    }).secrets;
    const configFile = join(dir, 'dynamic-security.json');
    writeFileSync(configFile, JSON.stringify(brokerBootstrap(secrets)));
    const plugin = findDynsecPlugin();
    expect(plugin).toBeDefined();
    broker = await startMosquitto({ dynsec: { plugin: plugin!, configFile } });
    admin = await DynsecAdmin.connect(broker.url, {
      username: BROKER_USERS.admin,
      password: secrets.mqtt.admin,
    });
    await provisionBroker(admin, secrets, policy);
    // Provisioning twice converges on the same state.
    await provisionBroker(admin, secrets, policy);
    await addClient(admin, 'bob', 'bob-password', policy);
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.endAsync(true)));
    await admin?.close();
    await broker?.stop();
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(
      mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 }),
    ).rejects.toThrow(/Not authorized|Bad User Name or Password/);
    await expect(connect('alice', 'wrong')).rejects.toThrow(/Not authorized|Bad User Name/);
  });

  it('routes requests to the gateway group and replies to their owner only', async () => {
    const gateway = await connect(BROKER_USERS.gateway, secrets.mqtt.gateway);
    expect(await grant(gateway, '$share/gateway/api/#')).toBeLessThan(128);
    const requests = received(gateway);
    const alice = await connect('alice', 'alice-password');
    const bob = await connect('bob', 'bob-password');
    expect(await grant(alice, 'replies/alice/#')).toBeLessThan(128);
    expect(await grant(bob, 'replies/bob/#')).toBeLessThan(128);
    const aliceGot = received(alice);
    const bobGot = received(bob);

    await alice.publishAsync('api/v1/users/list', '{}', { qos: 1 });
    await gateway.publishAsync('replies/alice/1', 'for alice', { qos: 1 });
    await gateway.publishAsync('replies/bob/1', 'for bob', { qos: 1 });
    await settle(gateway, bob, 'replies/bob/2');
    await settle(gateway, alice, 'replies/alice/2');
    expect(requests).toContain('api/v1/users/list {}');
    expect(aliceGot).toContain('replies/alice/1 for alice');
    expect(aliceGot.some((m) => m.includes('bob'))).toBe(false);
    expect(bobGot).toContain('replies/bob/1 for bob');
  });

  it('lets no client subscribe to requests, join the gateway group, read $SYS or another reply space', async () => {
    const alice = await connect('alice', 'alice-password');
    for (const filter of [
      'api/#',
      'api/v1/users/create',
      '$share/gateway/api/#',
      '$share/gateway/gateway/#',
      '$share/other/api/#',
      '#',
      '$SYS/#',
      'replies/bob/#',
      'replies/+/#',
      'replies/#',
    ]) {
      expect([filter, await grant(alice, filter)]).toEqual([filter, 135]);
    }
  });

  it("does not hand bob's replies to alice when she takes his client id", async () => {
    const bob = await connect('bob', 'bob-password', 'bobs-device');
    expect(await grant(bob, 'replies/bob/#')).toBeLessThan(128);
    // Same client id, other account: the broker drops bob's session for alice's.
    const thief = await connect('alice', 'alice-password', 'bobs-device');
    const stolen = received(thief);
    expect(await grant(thief, 'replies/bob/#')).toBe(135);
    expect(await grant(thief, 'replies/alice/#')).toBeLessThan(128);
    const gateway = await connect(BROKER_USERS.gateway, secrets.mqtt.gateway);
    await gateway.publishAsync('replies/bob/secret', 'for bob only', { qos: 1 });
    await settle(gateway, thief, 'replies/alice/after');
    expect(stolen.some((m) => m.includes('for bob only'))).toBe(false);
  });

  it('keeps each device to its own namespace: requests under its name, replies read by it alone', async () => {
    const gateway = await connect(BROKER_USERS.gateway, secrets.mqtt.gateway);
    expect(await grant(gateway, '$share/gateway/things/#')).toBeLessThan(128);
    const requests = received(gateway);
    const alice = await connect('alice', 'alice-password');
    const bob = await connect('bob', 'bob-password');
    expect(await grant(alice, 'things/alice/replies/#')).toBeLessThan(128);
    for (const filter of ['things/bob/replies/#', 'things/+/replies/#', 'things/#']) {
      expect([filter, await grant(alice, filter)]).toEqual([filter, 135]);
    }
    const aliceGot = received(alice);
    expect(await grant(bob, 'things/bob/replies/#')).toBeLessThan(128);
    await alice.publishAsync('things/alice/api/v1/users/list', 'mine', { qos: 1 });
    await expect(
      alice.publishAsync('things/bob/api/v1/users/list', 'as bob', { qos: 1 }),
    ).rejects.toThrow(/Not authorized/);
    await expect(
      alice.publishAsync('things/alice/replies/api/v1/users/list', 'self-made', { qos: 1 }),
    ).rejects.toThrow(/Not authorized/);
    await gateway.publishAsync('things/bob/replies/api/x', 'for bob', { qos: 1 });
    await settle(gateway, alice, 'things/alice/replies/api/x');
    await settle(alice, gateway, 'things/alice/api/v1/after');
    expect(requests).toContain('things/alice/api/v1/users/list mine');
    expect(requests.some((m) => m.includes('as bob'))).toBe(false);
    expect(aliceGot.some((m) => m.includes('for bob'))).toBe(false);
  });

  it('hands a device only its own commands, and lets it answer and report status only as itself', async () => {
    const gateway = await connect(BROKER_USERS.gateway, secrets.mqtt.gateway);
    expect(await grant(gateway, '$share/gateway/things/+/command-replies/+')).toBeLessThan(128);
    expect(await grant(gateway, 'things/+/status')).toBeLessThan(128);
    const answers = received(gateway);
    const alice = await connect('alice', 'alice-password');
    const bob = await connect('bob', 'bob-password');
    expect(await grant(alice, 'things/alice/commands/+')).toBeLessThan(128);
    for (const filter of ['things/bob/commands/#', 'things/+/commands/+', 'things/+/status']) {
      expect([filter, await grant(alice, filter)]).toEqual([filter, 135]);
    }
    const aliceGot = received(alice);
    expect(await grant(bob, 'things/bob/commands/+')).toBeLessThan(128);
    await alice.publishAsync('things/alice/status', 'online', { qos: 1, retain: true });
    await alice.publishAsync('things/alice/command-replies/reboot', 'from alice', { qos: 1 });
    for (const topic of [
      'things/bob/command-replies/reboot',
      'things/bob/status',
      'things/alice/commands/reboot',
    ]) {
      await expect(alice.publishAsync(topic, 'forged', { qos: 1 })).rejects.toThrow(
        /Not authorized/,
      );
    }
    await gateway.publishAsync('things/bob/commands/reboot', 'for bob', { qos: 1 });
    await settle(gateway, alice, 'things/alice/commands/after');
    await settle(alice, gateway, 'things/alice/command-replies/after');
    expect(answers).toContain('things/alice/command-replies/reboot from alice');
    expect(answers).toContain('things/alice/status online');
    expect(answers.some((m) => m.includes('forged'))).toBe(false);
    expect(aliceGot.some((m) => m.includes('for bob'))).toBe(false);
    await alice.publishAsync('things/alice/status', '', { qos: 1, retain: true });
  });

  it('lets no client publish replies or into $SYS', async () => {
    const alice = await connect('alice', 'alice-password');
    const bob = await connect('bob', 'bob-password');
    expect(await grant(bob, 'replies/bob/#')).toBeLessThan(128);
    const bobGot = received(bob);
    await expect(
      alice.publishAsync('replies/bob/spoofed', 'fake reply', { qos: 1 }),
    ).rejects.toThrow(/Not authorized/);
    await expect(alice.publishAsync('$SYS/broker/fake', 'x', { qos: 1 })).rejects.toThrow(
      /Not authorized/,
    );
    const gateway = await connect(BROKER_USERS.gateway, secrets.mqtt.gateway);
    await settle(gateway, bob, 'replies/bob/real');
    expect(bobGot.some((m) => m.includes('fake reply'))).toBe(false);
  });

  it('adds, lists and removes a client; a removed client cannot log in', async () => {
    await addClient(admin, 'carol', 'carol-password');
    expect((await listClients(admin)).map((c) => c.username).sort()).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    await (await connect('carol', 'carol-password')).endAsync();
    expect(await removeClient(admin, 'carol')).toBe(true);
    expect(await removeClient(admin, 'carol')).toBe(false);
    await expect(connect('carol', 'carol-password')).rejects.toThrow(/Not authorized|Bad User/);
    await expect(addClient(admin, 'gateway', 'x')).rejects.toThrow('reserved');
    await expect(addClient(admin, 'a/b', 'x')).rejects.toThrow('client name');
  });

  it('gives the healthcheck user $SYS/broker/uptime and nothing else', async () => {
    const health = await connect(BROKER_USERS.health, secrets.mqtt.health);
    expect(await grant(health, '$SYS/broker/uptime')).toBeLessThan(128);
    expect(await grant(health, 'replies/alice/#')).toBe(135);
    expect(await grant(health, '$CONTROL/dynamic-security/#')).toBe(135);
  });

  it('refuses a device namespace that is a request namespace or the reply space', () => {
    for (const devicePrefix of ['api', 'gateway', 'replies']) {
      expect(() => gatewayRole({ ...DEFAULT_BROKER_POLICY, devicePrefix })).toThrow('must differ');
    }
  });
});
