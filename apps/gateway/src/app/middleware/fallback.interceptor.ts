import { Inject, Injectable, Logger } from '@nestjs/common';
import type { InstanceDirectory } from '@mqgw/discovery';
import { isGatewayError, type SuccessReply } from '@mqgw/contracts';
import { forRequest } from '@mqgw/logging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { FallbackCache } from '../proxy/fallback-cache';
import { UpstreamService } from '../proxy/upstream.service';
import { INSTANCE_DIRECTORY } from '../tokens';
import type { GatewayRequest } from '../transport/gateway-request';
import type { InterceptorStep, Next } from './interceptor-step';

/** The failures a fallback may answer for: the service is unavailable, not wrong. */
function isUnavailable(error: unknown): boolean {
  return (
    isGatewayError(error) &&
    (error.code === 'SERVICE_UNAVAILABLE' ||
      error.code === 'UPSTREAM_ERROR' ||
      error.code === 'GATEWAY_TIMEOUT')
  );
}

/**
 * Fallbacks around the breaker. A read route (GET) remembers its last success per
 * principal; when the service is unavailable the reply comes from that stale copy
 * (`"source":"cache"`), else from `<service>-fallback` if one is registered
 * (`"status":"fallback"`), else the error stands. Cache writes never delay a reply.
 */
@Injectable()
export class FallbackInterceptor implements InterceptorStep {
  private readonly logger = new Logger('Fallback');

  constructor(
    private readonly cache: FallbackCache,
    private readonly upstream: UpstreamService,
    @Inject(INSTANCE_DIRECTORY) private readonly directory: InstanceDirectory,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async intercept(
    req: GatewayRequest,
    body: Record<string, unknown>,
    next: Next,
  ): Promise<unknown> {
    if (req.route.handler !== 'proxy') return next();
    const cacheable = req.route.method === 'GET' && this.config.FALLBACK_CACHE_TTL_SECONDS > 0;
    const key = cacheable ? this.cache.key(req, body) : undefined;
    try {
      const reply = (await next()) as SuccessReply;
      if (key) {
        this.cache
          .put(key, reply.data, this.config.FALLBACK_CACHE_TTL_SECONDS)
          .catch((error: Error) => {
            this.logger.debug(
              forRequest(req.requestId, `fallback cache write failed: ${error.message}`),
            );
          });
      }
      return reply;
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      const stale = key ? await this.cache.get(key).catch(() => undefined) : undefined;
      if (stale !== undefined) {
        return {
          status: 'success',
          data: stale,
          request_id: req.requestId,
          service: req.route.service,
          processing_time: req.elapsedSeconds(),
          source: 'cache',
        };
      }
      const fallbackService = `${req.route.service}-fallback`;
      if (this.directory.instances(fallbackService).length > 0) {
        const reply = await this.upstream.forward(req, body, fallbackService);
        return { ...reply, status: 'fallback' };
      }
      throw error;
    }
  }
}
