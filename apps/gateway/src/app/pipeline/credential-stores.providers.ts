import type { FactoryProvider } from '@nestjs/common';
import { ApiKeyStore, DeviceStore, JwtVerifier } from '@mqgw/auth';
import type { KvStore } from '@mqgw/store';
import { KV_STORE } from '../state/state.tokens';
import { PIPELINE_CONFIG, type PipelineConfig } from './pipeline.config';

/** Where `auth` verifies tokens: the JWT settings and the cache of verified tokens. */
export const jwtVerifierProvider: FactoryProvider<JwtVerifier> = {
  provide: JwtVerifier,
  inject: [PIPELINE_CONFIG],
  useFactory: ({ jwt, authCache }: PipelineConfig) =>
    new JwtVerifier({ ...jwt, cacheMax: authCache.max, cacheTtlSeconds: authCache.ttlSeconds }),
};

/** Where `auth` looks API keys up: the shared store, behind a short cache. */
export const apiKeyStoreProvider: FactoryProvider<ApiKeyStore> = {
  provide: ApiKeyStore,
  inject: [KV_STORE, PIPELINE_CONFIG],
  useFactory: (kv: KvStore, config: PipelineConfig) =>
    new ApiKeyStore(kv, {
      cacheTtlSeconds: config.apiKeyCacheTtlSeconds,
      cacheMax: config.authCache.max,
      negativeTtlSeconds: config.apiKeyNegativeCacheSeconds,
    }),
};

/** Where `auth` finds a device's scopes. */
export const deviceStoreProvider: FactoryProvider<DeviceStore> = {
  provide: DeviceStore,
  inject: [KV_STORE, PIPELINE_CONFIG],
  useFactory: (kv: KvStore, config: PipelineConfig) =>
    new DeviceStore(kv, {
      cacheTtlSeconds: config.deviceCacheTtlSeconds,
      cacheMax: config.authCache.max,
    }),
};
