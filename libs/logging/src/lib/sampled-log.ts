/** Where a sampled line goes: a Nest `Logger` method, or anything with that shape. */
export type LogLine = (message: unknown) => void;

export interface SampledLogOptions {
  /** Lines written per kind in each window; the rest are only counted (default 5). */
  perWindow?: number;
  windowMs?: number;
  now?: () => number;
}

/**
 * Log lines that would come once per request (a refusal, a failed login) written at most
 * `perWindow` times per kind and window, and then a one-line count of the rest, so that a
 * flood of them costs a counter increment each instead of a log line each. The count of
 * the last window is written by the next line of that kind or by `flush`.
 */
export class SampledLog {
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly kinds = new Map<string, { start: number; written: number; skipped: number }>();

  constructor(
    private readonly write: LogLine,
    options: SampledLogOptions = {},
  ) {
    this.perWindow = options.perWindow ?? 5;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Logs `message()` unless `kind` has used up this window; `message` is built only then. */
  log(kind: string, message: () => unknown): void {
    const now = this.now();
    let window = this.kinds.get(kind);
    if (!window || now - window.start >= this.windowMs) {
      if (window) this.summarise(kind, window);
      if (!window && this.kinds.size >= 1000) this.flush();
      window = { start: now, written: 0, skipped: 0 };
      this.kinds.set(kind, window);
    }
    if (window.written < this.perWindow) {
      window.written++;
      this.write(message());
    } else window.skipped++;
  }

  /** Writes the counts still pending and forgets every kind. */
  flush(): void {
    for (const [kind, window] of this.kinds) this.summarise(kind, window);
    this.kinds.clear();
  }

  private summarise(kind: string, window: { skipped: number }): void {
    if (window.skipped > 0) {
      this.write(
        `${kind}: ${window.skipped} more like it in ${this.windowMs / 1000} s, not logged`,
      );
      window.skipped = 0;
    }
  }
}
