import { Inject, Injectable } from '@nestjs/common';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';

/** Sources remembered at once; past this many the memory starts over. */
const MAX_SOURCES = 10_000;

/**
 * Failed authentications per source, counted in this process: once a source has failed
 * `AUTH_FAILURE_LIMIT` times in `AUTH_FAILURE_WINDOW_SECONDS`, its further failures are
 * answered RATE_LIMITED until the window ends. A source is what the gateway knows of who
 * is failing: the reply space its answers go to (`replies/<id>`, the first two levels of the
 * reply topic), else the API key id it claimed, else "none" (MQTT does not say who
 * published).
 *
 * It is asked only after a credential has failed, never before verifying one: a valid
 * token or API key is accepted whatever any source has spent, so one client's bad
 * credentials cannot refuse another's. Counting costs no I/O.
 */
@Injectable()
export class AuthFailures {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(@Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig) {}

  /** Counts one failure of `source`: seconds to wait when its budget is spent, or undefined. */
  spend(source: string, now = Date.now()): number | undefined {
    const { limit, windowMs } = this.config.authFailures;
    let window = this.windows.get(source);
    if (!window || now - window.start >= windowMs) {
      if (!window && this.windows.size >= MAX_SOURCES) this.windows.clear();
      window = { start: now, count: 0 };
      this.windows.set(source, window);
    }
    window.count++;
    if (window.count <= limit) return undefined;
    return Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
  }
}
