import { percentile } from './metrics.reader';
import { bucketField } from './request-recorder';

describe('latency percentiles from shared bucket counts', () => {
  it('files a latency under the first bucket bound that holds it', () => {
    expect(bucketField(0.0004)).toBe('le_0.001');
    expect(bucketField(0.001)).toBe('le_0.001');
    expect(bucketField(0.003)).toBe('le_0.005');
    expect(bucketField(99)).toBe('le_inf');
  });

  it('reads p50, p95 and p99 as bucket upper bounds', () => {
    const row = { 'le_0.001': '50', 'le_0.005': '45', 'le_0.1': '4', le_inf: '1' };
    expect(percentile(row, 0.5)).toBe(0.001);
    expect(percentile(row, 0.95)).toBe(0.005);
    expect(percentile(row, 0.99)).toBe(0.1);
    expect(percentile(row, 1)).toBe(Infinity);
    expect(percentile({}, 0.5)).toBe(0);
  });
});
