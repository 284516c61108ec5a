import { Module } from '@nestjs/common';
import { DiscoveryModule as NestDiscoveryModule } from '@nestjs/core';
import { ApiKeyStore, DeviceStore, JwtVerifier } from '@mqgw/auth';
import type { KvStore } from '@mqgw/store';
import { DiscoveryModule } from '../discovery/discovery.module';
import { ObservabilityModule } from '../observability/observability.module';
import { StateModule } from '../state/state.module';
import { KV_STORE } from '../state/state.tokens';
import { AuthFailureBudget } from './guards/auth-failure.budget';
import { FallbackCache } from './interceptors/fallback-cache';
import { IdempotencyStore } from './interceptors/idempotency.store';
import { PIPELINE_CONFIG, type PipelineConfig } from './pipeline.config';
import { PipelineRunner } from './pipeline.runner';
import { RpcErrorFilter } from './rpc-error.filter';
import { PIPELINE_GUARDS, PIPELINE_INTERCEPTORS } from './use-pipeline.decorator';

const STEPS = [...PIPELINE_GUARDS, ...PIPELINE_INTERCEPTORS];

/**
 * The gateway's middleware: its guards and interceptors, what they keep (credentials,
 * idempotency records, stale replies), and the runner the transport hands requests to.
 * Controllers elsewhere put their handlers behind it with `@UsePipeline()`.
 */
@Module({
  imports: [NestDiscoveryModule, StateModule, DiscoveryModule, ObservabilityModule],
  providers: [
    ...STEPS,
    RpcErrorFilter,
    IdempotencyStore,
    FallbackCache,
    {
      provide: JwtVerifier,
      inject: [PIPELINE_CONFIG],
      useFactory: ({ jwt, authCache }: PipelineConfig) =>
        new JwtVerifier({
          secret: jwt.secret,
          jwksUrl: jwt.jwksUrl,
          algorithms: jwt.algorithms,
          issuer: jwt.issuer,
          audience: jwt.audience,
          clockToleranceSeconds: jwt.clockToleranceSeconds,
          cacheMax: authCache.max,
          cacheTtlSeconds: authCache.ttlSeconds,
        }),
    },
    AuthFailureBudget,
    {
      provide: ApiKeyStore,
      inject: [KV_STORE, PIPELINE_CONFIG, AuthFailureBudget],
      useFactory: (kv: KvStore, config: PipelineConfig, failures: AuthFailureBudget) =>
        new ApiKeyStore(kv, {
          cacheTtlSeconds: config.apiKeyCacheTtlSeconds,
          cacheMax: config.authCache.max,
          negativeTtlSeconds: config.apiKeyNegativeCacheSeconds,
          mayLookUp: () => failures.open,
        }),
    },
    {
      provide: DeviceStore,
      inject: [KV_STORE, PIPELINE_CONFIG],
      useFactory: (kv: KvStore, config: PipelineConfig) =>
        new DeviceStore(kv, {
          cacheTtlSeconds: config.deviceCacheTtlSeconds,
          cacheMax: config.authCache.max,
        }),
    },
    PipelineRunner,
  ],
  // The steps' own dependencies go with them: a controller module that puts its handlers
  // behind the pipeline (`@UsePipeline()`) gets its own instances of the steps from Nest.
  exports: [
    ...STEPS,
    RpcErrorFilter,
    PipelineRunner,
    JwtVerifier,
    ApiKeyStore,
    DeviceStore,
    AuthFailureBudget,
    IdempotencyStore,
    FallbackCache,
    StateModule,
    DiscoveryModule,
    ObservabilityModule,
  ],
})
export class PipelineModule {}
