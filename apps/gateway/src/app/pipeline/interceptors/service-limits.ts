import { Injectable } from '@nestjs/common';
import { Bulkhead, FixedLimit, GradientLimit } from '@mqgw/admission';
import { DEFAULT_CONCURRENCY, type ServiceSettings } from '@mqgw/routes';
import { ActiveRoutes } from '../../routing/active-routes';

interface Held {
  settings: ServiceSettings | undefined;
  bulkhead: Bulkhead;
}

/**
 * Each service's bulkhead in this process, as the active routes file sets it
 * (`services.<name>.concurrency`): adaptive by default. A reload that changes a service's
 * setting gives it a new bulkhead; calls already out release the one they took.
 */
@Injectable()
export class ServiceLimits {
  private readonly held = new Map<string, Held>();

  constructor(private readonly routes: ActiveRoutes) {}

  of(service: string): Bulkhead {
    const settings = this.routes.table.services.get(service);
    let held = this.held.get(service);
    if (!held || held.settings !== settings) {
      held = { settings, bulkhead: new Bulkhead(limitFor(settings)) };
      this.held.set(service, held);
    }
    return held.bulkhead;
  }

  /** Calls out and the limit, per service that has had calls: for metrics and the dashboard. */
  snapshot(): Record<string, { inflight: number; limit: number }> {
    const out: Record<string, { inflight: number; limit: number }> = {};
    for (const [service, { bulkhead }] of this.held) {
      out[service] = { inflight: bulkhead.inFlight, limit: bulkhead.current };
    }
    return out;
  }
}

function limitFor(settings: ServiceSettings | undefined): FixedLimit | GradientLimit {
  const concurrency = settings?.concurrency;
  if (typeof concurrency === 'number') return new FixedLimit(concurrency);
  return new GradientLimit({ ...DEFAULT_CONCURRENCY, ...concurrency });
}
