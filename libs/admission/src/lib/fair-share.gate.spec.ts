import { Bulkhead } from './bulkhead';
import { FixedLimit } from './concurrency-limit';
import { FairShareGate } from './fair-share.gate';
import { GradientLimit } from './gradient.limit';

describe('FairShareGate', () => {
  it('admits anyone below the limit', () => {
    const gate = new FairShareGate(new FixedLimit(4), 100);
    for (let i = 0; i < 4; i++) expect(gate.tryAdmit('flood')).toBe(true);
    expect(gate.inFlight).toBe(4);
  });

  it('once at the limit, refuses the caller holding more than its share and admits the others', () => {
    const gate = new FairShareGate(new FixedLimit(10), 100);
    for (let i = 0; i < 10; i++) expect(gate.tryAdmit('flood')).toBe(true);
    expect(gate.tryAdmit('flood')).toBe(false);
    // Two callers share 10: the newcomer may hold up to 5 even though the gate is full.
    for (let i = 0; i < 5; i++) expect(gate.tryAdmit('alice')).toBe(true);
    expect(gate.tryAdmit('alice')).toBe(false);
    // A third caller: shares of 10 / 3.
    for (let i = 0; i < 3; i++) expect(gate.tryAdmit('bob')).toBe(true);
    expect(gate.tryAdmit('bob')).toBe(false);
    expect(gate.tryAdmit('flood')).toBe(false);
  });

  it('past half the limit, admits no caller above its equal share', () => {
    const gate = new FairShareGate(new FixedLimit(20), 100);
    expect(gate.tryAdmit('alice')).toBe(true);
    // Below half the limit (10) anyone is admitted: the flood takes 9.
    for (let i = 0; i < 9; i++) expect(gate.tryAdmit('flood')).toBe(true);
    // Past it, the flood may hold its share (20 / 2) and no more, although 9 slots are free:
    // they are alice's to come back for.
    expect(gate.tryAdmit('flood')).toBe(true);
    expect(gate.tryAdmit('flood')).toBe(false);
    for (let i = 0; i < 9; i++) expect(gate.tryAdmit('alice')).toBe(true);
    expect(gate.tryAdmit('alice')).toBe(false);
    expect(gate.inFlight).toBe(20);
  });

  it('keeps half the limit for the others while one heavy caller is beside a light one', () => {
    const gate = new FairShareGate(new FixedLimit(20), 100);
    expect(gate.tryAdmit('light')).toBe(true);
    let heavy = 0;
    while (gate.tryAdmit('batch')) heavy++;
    // Its share, 20 / 2: the light caller may come back for the rest.
    expect(heavy).toBe(10);
  });

  it('lets an adaptive limit grow while its shares refuse a heavy caller and calls stay fast', () => {
    // One heavy caller and seven light ones holding one each: shares keep in flight near
    // half the limit, which alone would tell the limit it is not in use.
    const limit = new GradientLimit({ initial: 64, min: 64, max: 1024 });
    const gate = new FairShareGate(limit, 1024);
    const light = Array.from({ length: 7 }, (_, i) => `light-${i}`);
    for (const caller of light) gate.tryAdmit(caller);
    for (let now = 0; now < 5000; now++) {
      let heavy = 0;
      while (gate.tryAdmit('heavy')) heavy++;
      for (let i = 0; i < heavy; i++) gate.leave('heavy', 1, now);
      for (const caller of light) {
        gate.leave(caller, 1, now);
        gate.tryAdmit(caller);
      }
    }
    expect(limit.current).toBeGreaterThan(128);
  });

  it('lets a lone caller use the whole limit', () => {
    const gate = new FairShareGate(new FixedLimit(8), 100);
    for (let i = 0; i < 8; i++) expect(gate.tryAdmit('batch')).toBe(true);
    expect(gate.tryAdmit('batch')).toBe(false);
  });

  it('never admits beyond the hard maximum', () => {
    const gate = new FairShareGate(new FixedLimit(2), 3);
    expect(gate.tryAdmit('a')).toBe(true);
    expect(gate.tryAdmit('b')).toBe(true);
    expect(gate.tryAdmit('c')).toBe(true);
    expect(gate.tryAdmit('d')).toBe(false);
  });

  it('forgets a caller once it holds nothing, and ignores a leave it never admitted', () => {
    const gate = new FairShareGate(new FixedLimit(2), 10);
    gate.tryAdmit('a');
    gate.tryAdmit('a');
    gate.leave('a', 1, 0);
    gate.leave('a', 1, 0);
    gate.leave('a', 1, 0);
    gate.leave('nobody', 1, 0);
    expect(gate.inFlight).toBe(0);
    expect(gate.callers).toBe(0);
  });
});

describe('Bulkhead', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('lets a call wait, in order, for a slot, and refuses it past its wait or with the queue full', async () => {
    const bulkhead = new Bulkhead(new FixedLimit(1));
    expect(bulkhead.tryAcquire()).toBe(true);
    const first = bulkhead.acquire(100);
    const second = bulkhead.acquire(1000);
    // A full queue (twice the limit) refuses at once.
    await expect(bulkhead.acquire(1000)).resolves.toBe(false);
    // Nobody jumps the queue.
    expect(bulkhead.tryAcquire()).toBe(false);
    jest.advanceTimersByTime(101);
    await expect(first).resolves.toBe(false);
    bulkhead.release(5, 0);
    await expect(second).resolves.toBe(true);
    expect(bulkhead.inFlight).toBe(1);
    expect(bulkhead.queued).toBe(0);
  });

  it('takes slots up to its limit and gives them back', () => {
    const bulkhead = new Bulkhead(new FixedLimit(2));
    expect(bulkhead.tryAcquire()).toBe(true);
    expect(bulkhead.tryAcquire()).toBe(true);
    expect(bulkhead.tryAcquire()).toBe(false);
    bulkhead.release(5, 0);
    expect(bulkhead.tryAcquire()).toBe(true);
    expect(bulkhead.inFlight).toBe(2);
  });
});
