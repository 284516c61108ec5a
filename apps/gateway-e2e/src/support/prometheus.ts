const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]?[Ii]nf)$/;

/**
 * A strict reader of the Prometheus text format: fails on any line it does not understand.
 * Like Prometheus, it reads NaN and Inf in any case (prom-client writes `Nan`).
 * Keys are the metric name with its labels as written, e.g. `m{reason="x"}`.
 */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[4]));
  }
  return samples;
}

/** `GET /metrics` of a gateway, parsed. */
export async function scrape(httpUrl: string): Promise<Map<string, number>> {
  return parsePrometheus(await (await fetch(`${httpUrl}/metrics`)).text());
}

/** The sum of a metric over all its label sets. */
export function total(samples: Map<string, number>, metric: string): number {
  let sum = 0;
  for (const [key, value] of samples)
    if (key === metric || key.startsWith(`${metric}{`)) sum += value;
  return sum;
}
