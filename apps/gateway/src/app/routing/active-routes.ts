import { Inject, Injectable, Logger } from '@nestjs/common';
import { RouteMatcher, loadRoutesFile, type CompiledRoute, type RouteTable } from '@mqgw/routes';
import { routeTableEntry } from './route-table.log';
import { ROUTING_CONFIG, type RoutingConfig } from './routing.config';

/** The table the gateway boots with. */
export const INITIAL_ROUTE_TABLE = Symbol('INITIAL_ROUTE_TABLE');

/** Something that follows the route table: subscriptions, discovery, balancing. */
export interface RoutesListener {
  /** Throws when the listener cannot follow `next`; called before anything changes. */
  validate?(next: RouteTable): void;
  /**
   * Called while both tables are matchable: the removed routes still match until every
   * listener is done, and the added ones already do.
   */
  routesChanged(next: RouteTable, previous: RouteTable): Promise<void> | void;
}

export interface ReloadStatus {
  at: number;
  ok: boolean;
  digest?: string;
  error?: string;
}

/**
 * The active route table. A reload (SIGHUP) loads the routes file again; a valid file
 * becomes the table new requests use, with a transition in which the routes it removes
 * still match until the transport has unsubscribed from them, so no request on a kept
 * route is lost and requests in flight finish on the route they started with. An invalid
 * file changes nothing; the error is logged, counted and shown in health.
 */
@Injectable()
export class ActiveRoutes {
  private active: RouteTable;
  private currentMatcher: RouteMatcher;
  private readonly listeners: RoutesListener[] = [];
  private readonly reloadWatchers: ((status: ReloadStatus) => void)[] = [];
  private reloading: Promise<ReloadStatus> | undefined;
  private readonly logger = new Logger('Routes');
  /** The outcome of the last reload; undefined before the first. */
  lastReload: ReloadStatus | undefined;

  constructor(
    @Inject(INITIAL_ROUTE_TABLE) initial: RouteTable,
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
  ) {
    this.active = initial;
    this.currentMatcher = new RouteMatcher(initial.routes);
  }

  get table(): RouteTable {
    return this.active;
  }

  get routes(): readonly CompiledRoute[] {
    return this.active.routes;
  }

  get matcher(): RouteMatcher {
    return this.currentMatcher;
  }

  subscribe(listener: RoutesListener): void {
    this.listeners.push(listener);
  }

  /** Hears the outcome of every reload (metrics). */
  onReload(watcher: (status: ReloadStatus) => void): void {
    this.reloadWatchers.push(watcher);
  }

  /** Loads the routes file again; one reload at a time. */
  reload(): Promise<ReloadStatus> {
    this.reloading ??= this.load()
      .then((status) => {
        this.lastReload = status;
        for (const watch of this.reloadWatchers) watch(status);
        return status;
      })
      .finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** Makes `next` the active table (a reload, or a test); a refusal changes nothing. */
  async apply(next: RouteTable): Promise<void> {
    this.validate(next);
    await this.switchTo(next);
  }

  /** Throws when a listener cannot follow `next`. */
  private validate(next: RouteTable): void {
    for (const listener of this.listeners) listener.validate?.(next);
  }

  private async switchTo(next: RouteTable): Promise<void> {
    const previous = this.active;
    const kept = new Set(next.routes.map((r) => r.filter));
    const removed = previous.routes.filter((r) => !kept.has(r.filter));
    this.currentMatcher = new RouteMatcher([...next.routes, ...removed]);
    this.active = next;
    try {
      for (const listener of this.listeners) await listener.routesChanged(next, previous);
    } finally {
      this.currentMatcher = new RouteMatcher(next.routes);
    }
  }

  private async load(): Promise<ReloadStatus> {
    const at = Date.now();
    let next: RouteTable;
    try {
      next = loadRoutesFile(this.config.file);
      this.validate(next);
    } catch (error) {
      // A file that cannot be used, or a table a listener refuses: nothing changes.
      const message = (error as Error).message;
      this.logger.error(`routes error: ${message}; keeping table ${this.active.digest}`);
      return { at, ok: false, error: message };
    }
    try {
      await this.switchTo(next);
    } catch (error) {
      // The table is active, but a listener could not follow it (a refused subscription).
      this.logger.error(`routes ${next.digest} applied with errors: ${(error as Error).message}`);
      return { at, ok: false, digest: next.digest, error: (error as Error).message };
    }
    for (const warning of next.warnings) this.logger.warn(`routes: ${warning}`);
    this.logger.log(routeTableEntry(next));
    return { at, ok: true, digest: next.digest };
  }
}
