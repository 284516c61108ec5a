import { Module } from '@nestjs/common';
import { PerServiceBalancer } from '@mqgw/balancing';
import { DiscoveryModule } from '../discovery/discovery.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { ProxyController } from './proxy.controller';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { UpstreamHttpClient } from './upstream-http.client';
import { UpstreamService } from './upstream.service';
import { LOAD_BALANCER } from './upstream.tokens';

/** The upstream step: balancing, the HTTP client, retries, and the `proxy` handler. */
@Module({
  imports: [DiscoveryModule, PipelineModule],
  controllers: [ProxyController],
  providers: [
    {
      provide: LOAD_BALANCER,
      inject: [UPSTREAM_CONFIG],
      useFactory: (config: UpstreamConfig) =>
        new PerServiceBalancer(config.balancer, config.balancerOverrides),
    },
    {
      provide: UpstreamHttpClient,
      inject: [UPSTREAM_CONFIG],
      useFactory: (config: UpstreamConfig) => new UpstreamHttpClient(config.maxResponseBytes),
    },
    UpstreamService,
  ],
  exports: [UpstreamHttpClient],
})
export class UpstreamModule {}
