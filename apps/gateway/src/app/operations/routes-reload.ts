import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { PerServiceBalancer } from '@mqgw/balancing';
import { InstanceDirectory } from '@mqgw/discovery';
import type { RouteTable } from '@mqgw/routes';
import { DISCOVERY_CONFIG, type DiscoveryConfig } from '../discovery/discovery.config';
import { followRoutes } from '../discovery/instance-directory.provider';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { ActiveRoutes, type RoutesListener } from '../routing/active-routes';
import { MqttRequestServer } from '../transport/mqtt-request.server';
import { balancerOverrides } from '../upstream/balancer.provider';
import { UPSTREAM_CONFIG, type UpstreamConfig } from '../upstream/upstream.config';
import { LOAD_BALANCER } from '../upstream/upstream.tokens';

/**
 * Everything a routes reload (SIGHUP) changes, in the order it changes it. `ActiveRoutes`
 * loads the file and keeps the old table's routes matchable until this is done.
 */
@Injectable()
export class RoutesReload implements RoutesListener, OnModuleInit {
  constructor(
    private readonly routes: ActiveRoutes,
    private readonly transport: MqttRequestServer,
    private readonly pipeline: PipelineRunner,
    private readonly directory: InstanceDirectory,
    @Inject(LOAD_BALANCER) private readonly balancer: PerServiceBalancer,
    @Inject(DISCOVERY_CONFIG) private readonly discovery: DiscoveryConfig,
    @Inject(UPSTREAM_CONFIG) private readonly upstream: UpstreamConfig,
    private readonly prometheus: PrometheusMetrics,
  ) {}

  onModuleInit(): void {
    this.routes.subscribe(this);
    this.routes.onReload((status) =>
      this.prometheus.routeReloads.inc({ outcome: status.ok ? 'applied' : 'rejected' }),
    );
  }

  /**
   * Before anything changes, a table the gateway cannot serve is refused whole: one that
   * clashes with the device namespace, or names a step its handler does not declare.
   */
  validate(next: RouteTable): void {
    this.transport.validate(next);
    this.pipeline.validate(next);
  }

  async routesChanged(next: RouteTable, previous: RouteTable): Promise<void> {
    // 1. Discovery, so that a new route's service is being looked for before requests come.
    followRoutes(this.directory, this.discovery, next);
    // 2. Each service's balancing strategy.
    this.balancer.setOverrides(balancerOverrides(this.upstream, next));
    // 3. Subscriptions last: once subscribed, requests on the new routes arrive.
    await this.transport.follow(next, previous);
  }
}
