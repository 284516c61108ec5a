import { BOUNDED_ENTRY_OVERHEAD_BYTES, type KvStore } from './kv-store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What every KvStore does; each implementation's spec runs it. */
export function describeKvStoreContract(
  name: string,
  setup: () => Promise<{ store: KvStore; prefix: string; teardown?: () => Promise<void> }>,
): void {
  describe(`${name} (KvStore contract)`, () => {
    let store: KvStore;
    let k: (key: string) => string;
    let teardown: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      const ctx = await setup();
      store = ctx.store;
      teardown = ctx.teardown;
      k = (key) => ctx.prefix + key;
    });
    afterEach(() => teardown?.());

    it('puts, gets, deletes and expires strings', async () => {
      await store.put(k('a'), '1', 0);
      await store.put(k('b'), '2', 100);
      expect(await store.get(k('a'))).toBe('1');
      expect(await store.exists(k('b'))).toBe(true);
      await sleep(150);
      expect(await store.get(k('b'))).toBeNull();
      await store.delete(k('a'));
      expect(await store.exists(k('a'))).toBe(false);
    });

    it('lets exactly one of many concurrent putIfAbsent calls win', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.putIfAbsent(k('claim'), `v${i}`, 10_000)),
      );
      const winners = results.filter((r) => r === null);
      expect(winners).toHaveLength(1);
      const stored = await store.get(k('claim'));
      expect(results.filter((r) => r !== null).every((r) => r === stored)).toBe(true);
    });

    it('bounds how many live keys one index may hold, atomically', async () => {
      const bound = { indexKey: k('{owner}:index'), max: 3 };
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.putBounded(k(`{owner}:${i}`), 'v', 10_000, bound),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'stored')).toHaveLength(3);
      expect(outcomes.filter((o) => o.outcome === 'full')).toHaveLength(7);
      // A key already counted may be written again; another owner has room of its own.
      const stored = outcomes.findIndex((o) => o.outcome === 'stored');
      expect((await store.putBounded(k(`{owner}:${stored}`), 'w', 10_000, bound)).outcome).toBe(
        'stored',
      );
      expect(await store.get(k(`{owner}:${stored}`))).toBe('w');
      expect(
        (
          await store.putBounded(k('{other}:a'), 'v', 10_000, {
            indexKey: k('{other}:index'),
            max: 3,
          })
        ).outcome,
      ).toBe('stored');
    });

    it('frees a bounded index as its keys expire, and returns what is there when asked', async () => {
      const bound = { indexKey: k('{o2}:index'), max: 1 };
      expect((await store.putBounded(k('{o2}:a'), 'first', 100, bound)).outcome).toBe('stored');
      expect(
        await store.putBounded(k('{o2}:a'), 'second', 100, { ...bound, onlyIfAbsent: true }),
      ).toEqual({
        outcome: 'exists',
        existing: 'first',
      });
      expect((await store.putBounded(k('{o2}:b'), 'v', 100, bound)).outcome).toBe('full');
      await sleep(150);
      expect((await store.putBounded(k('{o2}:b'), 'v', 100, bound)).outcome).toBe('stored');
    });

    /** What one key of this name's length with a value of `bytes` counts as. */
    const entrySize = async (tag: string, bytes: number) => {
      const indexKey = k(`{${tag}}:index`);
      await store.putBounded(k(`{${tag}}:0`), 'v'.repeat(bytes), 10_000, { indexKey, max: 1 });
      return (await store.boundedUsage(indexKey)).bytes;
    };

    it('bounds the bytes one index may hold, atomically, counting names and overhead', async () => {
      const one = await entrySize('bp', 1000);
      expect(one).toBeGreaterThanOrEqual(1000 + 3 * '{bp}:0'.length + BOUNDED_ENTRY_OVERHEAD_BYTES);
      const bound = { indexKey: k('{bo}:index'), max: 100, maxBytes: 3 * one };
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.putBounded(k(`{bo}:${i}`), 'v'.repeat(1000), 10_000, bound),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'stored')).toHaveLength(3);
      expect(await store.boundedUsage(bound.indexKey)).toEqual({ keys: 3, bytes: 3 * one });
      // A smaller value for a key already counted replaces its size, and makes room.
      const held = outcomes.findIndex((o) => o.outcome === 'stored');
      expect((await store.putBounded(k(`{bo}:${held}`), 'v', 10_000, bound)).outcome).toBe(
        'stored',
      );
      const free = outcomes.findIndex((o) => o.outcome === 'full');
      expect(
        (await store.putBounded(k(`{bo}:${free}`), 'v'.repeat(500), 10_000, bound)).outcome,
      ).toBe('stored');
      expect((await store.putBounded(k('{bo}:x'), 'v', 10_000, bound)).outcome).toBe('full');
      expect((await store.boundedUsage(bound.indexKey)).bytes).toBeLessThanOrEqual(3 * one);
    });

    it('holds a reservation until its value replaces it, and frees a deleted key', async () => {
      const one = await entrySize('rp', 1000);
      const bound = { indexKey: k('{ro}:index'), max: 100, maxBytes: 2 * one };
      const claim = { ...bound, reserveBytes: 1000, onlyIfAbsent: true };
      expect((await store.putBounded(k('{ro}:0'), 'p', 10_000, claim)).outcome).toBe('stored');
      expect((await store.putBounded(k('{ro}:1'), 'p', 10_000, claim)).outcome).toBe('stored');
      expect(await store.boundedUsage(bound.indexKey)).toEqual({ keys: 2, bytes: 2 * one });
      // The room is spent by the reservations; each final value fits in its own.
      expect((await store.putBounded(k('{ro}:2'), 'p', 10_000, claim)).outcome).toBe('full');
      expect((await store.putBounded(k('{ro}:0'), 'v'.repeat(1000), 10_000, bound)).outcome).toBe(
        'stored',
      );
      await store.deleteBounded(k('{ro}:1'), bound.indexKey);
      expect(await store.get(k('{ro}:1'))).toBeNull();
      expect(await store.boundedUsage(bound.indexKey)).toEqual({ keys: 1, bytes: one });
      expect((await store.putBounded(k('{ro}:2'), 'p', 10_000, claim)).outcome).toBe('stored');
    });

    it('gives the bytes of expired keys back', async () => {
      const bound = { indexKey: k('{eo}:index'), max: 100, maxBytes: 2000 };
      expect((await store.putBounded(k('{eo}:a'), 'v'.repeat(1000), 100, bound)).outcome).toBe(
        'stored',
      );
      expect((await store.putBounded(k('{eo}:b'), 'v'.repeat(1000), 100, bound)).outcome).toBe(
        'full',
      );
      await sleep(150);
      expect((await store.putBounded(k('{eo}:b'), 'v'.repeat(1000), 100, bound)).outcome).toBe(
        'stored',
      );
      expect((await store.boundedUsage(bound.indexKey)).keys).toBe(1);
    });

    it('keeps hashes with atomic increments', async () => {
      await store.hashSet(k('h'), { a: 'x' });
      await Promise.all(Array.from({ length: 50 }, () => store.hashIncrement(k('h'), 'n', 2)));
      expect(await store.hashGetAll(k('h'))).toEqual({ a: 'x', n: '100' });
      expect(await store.hashGetAll(k('missing'))).toEqual({});
    });

    it('expires a hash when told to', async () => {
      await store.hashIncrement(k('h'), 'n', 2);
      await store.expire(k('h'), 100);
      expect(await store.hashGetAll(k('h'))).toEqual({ n: '2' });
      await sleep(150);
      expect(await store.hashGetAll(k('h'))).toEqual({});
    });

    it('keeps sets and capped lists, newest first', async () => {
      await store.setAdd(k('s'), ['b', 'a', 'b']);
      expect((await store.setMembers(k('s'))).sort()).toEqual(['a', 'b']);
      await store.setRemove(k('s'), ['a', 'z']);
      expect(await store.setMembers(k('s'))).toEqual(['b']);
      await store.listPushCapped(k('l'), ['1', '2', '3'], 4);
      await store.listPushCapped(k('l'), ['4', '5'], 4);
      expect(await store.listRange(k('l'), 0, -1)).toEqual(['5', '4', '3', '2']);
      expect(await store.listRange(k('l'), 0, 1)).toEqual(['5', '4']);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
