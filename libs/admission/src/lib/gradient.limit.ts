import type { ConcurrencyLimit } from './concurrency-limit';

export interface GradientLimitOptions {
  initial: number;
  min: number;
  max: number;
  /** How much longer than usual a call may take before the limit comes down (default 2). */
  tolerance?: number;
  /** How much of each new estimate is taken (default 0.2). */
  smoothing?: number;
  /** Samples are averaged over windows this long (default 100 ms)... */
  windowMs?: number;
  /** ...with at least this many samples (default 10). */
  windowSamples?: number;
  /**
   * Windows it takes the usual time to follow calls that became slower for good (default
   * 600: a minute of 100 ms windows). It follows faster ones at once.
   */
  longWindows?: number;
}

/**
 * An adaptive concurrency limit after the gradient algorithm of Netflix's concurrency-limits
 * (`Gradient2Limit`), evaluated once per window of samples rather than per call:
 *
 * - the window's average call time is compared with the usual one: an average that follows
 *   faster calls at once and slower ones only over `longWindows`, so that it stays near the
 *   time calls take without queueing, as Vegas' no-load time does;
 * - while calls take no longer than `tolerance` times the usual, the limit grows by a queue
 *   allowance (the square root of the limit), so it follows the load up;
 * - when they take longer, the limit shrinks in proportion (at most by half per window),
 *   which drains the queue that made them slow;
 * - a limit that is not being used (fewer than half of it in flight) does not grow.
 *
 * Each new estimate is smoothed, and the limit stays within [min, max].
 */
export class GradientLimit implements ConcurrencyLimit {
  private estimate: number;
  private usual = 0;
  private windows = 0;
  private windowStart: number | undefined;
  private windowSum = 0;
  private windowCount = 0;
  private windowInflight = 0;
  private readonly tolerance: number;
  private readonly smoothing: number;
  private readonly windowMs: number;
  private readonly windowSamples: number;
  private readonly longWindows: number;

  constructor(private readonly options: GradientLimitOptions) {
    if (!(options.min >= 1 && options.min <= options.initial && options.initial <= options.max)) {
      throw new Error('a gradient limit needs 1 ≤ min ≤ initial ≤ max');
    }
    this.estimate = options.initial;
    this.tolerance = options.tolerance ?? 2;
    this.smoothing = options.smoothing ?? 0.2;
    this.windowMs = options.windowMs ?? 100;
    this.windowSamples = options.windowSamples ?? 10;
    this.longWindows = options.longWindows ?? 600;
  }

  get current(): number {
    return Math.floor(this.estimate);
  }

  sample(rttMs: number, inflight: number, now: number): void {
    if (this.windowStart === undefined) this.windowStart = now;
    this.windowSum += rttMs;
    this.windowCount++;
    if (inflight > this.windowInflight) this.windowInflight = inflight;
    if (now - this.windowStart < this.windowMs || this.windowCount < this.windowSamples) return;
    const short = Math.max(this.windowSum / this.windowCount, 0.001);
    const inflightSeen = this.windowInflight;
    this.windowStart = now;
    this.windowSum = 0;
    this.windowCount = 0;
    this.windowInflight = 0;
    this.update(short, inflightSeen);
  }

  private update(short: number, inflight: number): void {
    // The usual time: the average of the first windows; then it follows a faster window at
    // once (halfway) and a slower one only slowly, so queueing does not become the norm.
    this.windows++;
    const weight =
      this.windows <= 10 ? 1 / this.windows : short < this.usual ? 0.5 : 1 / this.longWindows;
    this.usual += (short - this.usual) * weight;
    // An unused limit learns nothing about how far it could go.
    if (inflight < this.estimate / 2) return;
    const gradient = Math.max(0.5, Math.min(1, (this.tolerance * this.usual) / short));
    const queue = Math.sqrt(this.estimate);
    const next = this.estimate * gradient + queue;
    const smoothed = this.estimate * (1 - this.smoothing) + next * this.smoothing;
    this.estimate = Math.max(this.options.min, Math.min(this.options.max, smoothed));
  }
}
