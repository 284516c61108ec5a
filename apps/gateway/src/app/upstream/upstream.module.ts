import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module';
import { ObservabilityModule } from '../observability/observability.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { RoutingModule } from '../routing/routing.module';
import { balancerProvider } from './balancer.provider';
import { ProxyController } from './proxy.controller';
import { ReplyContract } from './reply-contract';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { UpstreamHttpClient } from './upstream-http.client';
import { UpstreamService } from './upstream.service';
import { LOAD_BALANCER } from './upstream.tokens';

const httpClientProvider = {
  provide: UpstreamHttpClient,
  inject: [UPSTREAM_CONFIG],
  useFactory: (config: UpstreamConfig) => new UpstreamHttpClient(config.maxResponseBytes),
};

/**
 * The upstream step: balancing, the HTTP client, retries, the check of replies against the
 * route's reply schema, and the `proxy` handler.
 */
@Module({
  imports: [DiscoveryModule, PipelineModule, RoutingModule, ObservabilityModule],
  controllers: [ProxyController],
  providers: [balancerProvider, httpClientProvider, ReplyContract, UpstreamService],
  exports: [UpstreamHttpClient, UpstreamService, LOAD_BALANCER],
})
export class UpstreamModule {}
