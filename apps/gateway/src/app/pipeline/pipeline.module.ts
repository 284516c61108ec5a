import { Module } from '@nestjs/common';
import { DiscoveryModule as NestDiscoveryModule } from '@nestjs/core';
import { DiscoveryModule } from '../discovery/discovery.module';
import { ObservabilityModule } from '../observability/observability.module';
import { RoutingModule } from '../routing/routing.module';
import { StateModule } from '../state/state.module';
import {
  apiKeyStoreProvider,
  deviceStoreProvider,
  jwtVerifierProvider,
} from './credential-stores.providers';
import { AdmissionControl } from './guards/admission-control';
import { AuthFailures } from './guards/auth-failures';
import { FallbackCache } from './interceptors/fallback-cache';
import { IdempotencyStore } from './interceptors/idempotency.store';
import { ServiceLimits } from './interceptors/service-limits';
import { PipelineRunner } from './pipeline.runner';

/** What the steps keep and use: credentials, failures, shares, limits, records, copies. */
const STEP_STATE = [
  jwtVerifierProvider,
  apiKeyStoreProvider,
  deviceStoreProvider,
  AuthFailures,
  AdmissionControl,
  IdempotencyStore,
  FallbackCache,
  ServiceLimits,
];

/**
 * The request pipeline: what its steps keep, and the runner the transport hands requests
 * to. The steps themselves (Nest guards and interceptors, `pipeline.ts`) are declared on
 * handlers with `@UsePipeline()`: Nest makes them in each such controller's module, which
 * imports this one for what they need.
 */
@Module({
  imports: [NestDiscoveryModule, StateModule, DiscoveryModule, RoutingModule, ObservabilityModule],
  providers: [...STEP_STATE, PipelineRunner],
  exports: [
    ...STEP_STATE,
    PipelineRunner,
    StateModule,
    DiscoveryModule,
    RoutingModule,
    ObservabilityModule,
  ],
})
export class PipelineModule {}
