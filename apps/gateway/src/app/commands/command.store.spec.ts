import { InMemoryKvStore } from '@mqgw/store';
import { CommandStore, type CommandRecord } from './command.store';

describe('CommandStore', () => {
  const record = (principal: string, mode: 'wait' | 'queued', key?: string): CommandRecord => ({
    id: CommandStore.idFor(principal, key),
    principal,
    device: 'sensor-7',
    name: 'reboot',
    mode,
    owner: 'gw-1',
    fingerprint: CommandStore.fingerprint('sensor-7', 'reboot', mode, Buffer.from('{}')),
    created_at: 0,
    expires_at: Date.now() + 60_000,
  });

  it('derives one id per (caller, key), and a new one without a key', () => {
    expect(CommandStore.idFor('user:a', 'k')).toBe(CommandStore.idFor('user:a', 'k'));
    expect(CommandStore.idFor('user:a', 'k')).not.toBe(CommandStore.idFor('user:b', 'k'));
    expect(CommandStore.idFor('user:a')).not.toBe(CommandStore.idFor('user:a'));
    expect(CommandStore.idFor('user:a')).toMatch(/^c[0-9a-f]{32}$/);
  });

  it('finds a keyed command again instead of storing it twice', async () => {
    const store = new CommandStore(new InMemoryKvStore(), 10);
    const first = record('user:a', 'queued', 'k');
    expect(await store.create(first, 60_000)).toEqual({ outcome: 'stored' });
    expect(await store.create({ ...first, owner: 'gw-2' }, 60_000)).toEqual({
      outcome: 'exists',
      record: first,
    });
  });

  it('bounds queued commands per caller, not another caller', async () => {
    const store = new CommandStore(new InMemoryKvStore(), 2);
    expect((await store.create(record('user:a', 'queued'), 60_000)).outcome).toBe('stored');
    expect((await store.create(record('user:a', 'queued'), 60_000)).outcome).toBe('stored');
    expect((await store.create(record('user:a', 'queued'), 60_000)).outcome).toBe('full');
    expect((await store.create(record('user:b', 'queued'), 60_000)).outcome).toBe('stored');
    expect((await store.create(record('user:a', 'wait'), 60_000)).outcome).toBe('stored');
  });

  it('keeps the first answer only', async () => {
    const store = new CommandStore(new InMemoryKvStore(), 2);
    const r = record('user:a', 'wait');
    await store.create(r, 60_000);
    expect(await store.answer(r, { outcome: { ok: true, data: 1 }, answered_at: 1 })).toBe(true);
    expect(await store.answer(r, { outcome: { ok: true, data: 2 }, answered_at: 2 })).toBe(false);
    expect(await store.answerOf(r.id)).toEqual({ outcome: { ok: true, data: 1 }, answered_at: 1 });
    expect(await store.get('not-an-id')).toBeNull();
  });
});
