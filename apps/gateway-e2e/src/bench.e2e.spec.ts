import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE } from './support/processes';

/** Not timed tests: only that short runs complete cleanly and report JSON. */
describe('npm run bench (smoke)', () => {
  it('completes a one-second run of both targets with valid JSON and no errors', () => {
    const run = spawnSync(process.execPath, [join(WORKSPACE, 'tools/bench/run.mjs')], {
      cwd: WORKSPACE,
      env: { ...process.env, BENCH_SMOKE: '1', BENCH_SECONDS: '1', BENCH_INFLIGHT: '8' },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(report.results.map((r: { target: string }) => r.target)).toEqual(['relay', 'gateway']);
    for (const result of report.results) {
      expect(result).toMatchObject({ errors: 0, timeouts: 0 });
      expect(result.requests).toBeGreaterThan(0);
    }
    expect(report.ratios.throughput).toBeGreaterThan(0);
  });
});

describe('npm run bench:overload (smoke)', () => {
  it('runs every phase, open loop, with the flood refused and the valid load served', () => {
    const run = spawnSync(process.execPath, [join(WORKSPACE, 'tools/bench/overload.mjs')], {
      cwd: WORKSPACE,
      env: { ...process.env, BENCH_SMOKE: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status).toBe(0);
    type Load = { what: string; sent: number; served: number; errors: Record<string, number> };
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      capacity: number;
      phases: { name: string; loads: Load[] }[];
    };
    expect(report.capacity).toBeGreaterThan(0);
    expect(report.phases).toHaveLength(7);
    for (const phase of report.phases) {
      for (const load of phase.loads) expect(load.sent).toBeGreaterThan(0);
    }
    expect(report.phases[0].loads[0].served).toBeGreaterThan(0);
    // The unauthenticated flood is never served; what it is told is that it failed.
    const unauthenticated = report.phases[5].loads[1];
    expect(unauthenticated.what).toBe('flood');
    expect(unauthenticated.served).toBe(0);
    expect(Object.keys(unauthenticated.errors).length).toBeGreaterThan(0);
    expect(
      Object.keys(unauthenticated.errors).every(
        (c) => c === 'UNAUTHORIZED' || c === 'RATE_LIMITED',
      ),
    ).toBe(true);
  });
});

describe('npm run soak (smoke)', () => {
  it('runs the whole system under the mixed load for a few seconds with no errors', () => {
    const run = spawnSync(process.execPath, [join(WORKSPACE, 'tools/bench/soak.mjs')], {
      cwd: WORKSPACE,
      env: { ...process.env, SOAK_SMOKE: '1', SOAK_SECONDS: '3', SOAK_PROBE_SECONDS: '2' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(report.capacity).toBeGreaterThan(0);
    expect(report.result).toMatchObject({ errors: 0, timeouts: 0 });
    expect(report.result.ok).toBeGreaterThan(0);
    expect(report.gateway.rss_mib.max).toBeGreaterThan(0);
  });
});
