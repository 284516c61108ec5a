import {
  Inject,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { InstanceDirectory } from '@mqgw/discovery';
import { classifyFailure, type SuccessReply } from '@mqgw/contracts';
import { forRequest } from '@mqgw/logging';
import type { GatewayRequest } from '../../request/gateway-request';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';
import { promised, requestOf, settled } from '../pipeline-step';
import { FallbackCache } from './fallback-cache';

/**
 * `fallback`, outside the breaker so that an open circuit falls back too. A read (GET)
 * remembers its last success per principal; when the service is unavailable (see
 * `classifyFailure`) the reply comes from that stale copy (`"source":"cache"`), else from
 * the route's fallback service (default `<service>-fallback`) if it has an instance
 * (`"status":"fallback"`), else the error stands. A route's `cacheTtlSeconds` overrides
 * FALLBACK_CACHE_TTL_SECONDS.
 * Cache writes never delay a reply.
 */
@Injectable()
export class FallbackInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Fallback');

  constructor(
    private readonly cache: FallbackCache,
    private readonly directory: InstanceDirectory,
    @Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return promised(this.serve(requestOf(context), next));
  }

  private async serve(req: GatewayRequest, next: CallHandler): Promise<unknown> {
    const ttl = req.route.cacheTtlSeconds ?? this.config.fallbackCacheTtlSeconds;
    const read = req.route.method === 'GET' && ttl > 0 ? this.cache.readOf(req) : undefined;
    try {
      const reply = (await settled(next)) as SuccessReply;
      if (read !== undefined) {
        this.cache.put(req, read, reply.data, ttl).catch((error: Error) => {
          this.logger.debug(
            forRequest(
              req.requestId,
              `fallback cache write failed: ${error.message}`,
              req.traceIds,
            ),
          );
        });
      }
      return reply;
    } catch (error) {
      if (!classifyFailure(error).fallbackEligible) throw error;
      const stale =
        read !== undefined ? await this.cache.get(req, read).catch(() => undefined) : undefined;
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
      const fallbackService = req.route.fallbackService;
      if (!fallbackService || this.directory.instances(fallbackService).length === 0) throw error;
      // The rest of the pipeline once more, aimed at the fallback service (with its own
      // circuit and concurrency limit).
      req.fallBackTo(fallbackService);
      const reply = (await settled(next)) as SuccessReply;
      return { ...reply, status: 'fallback' };
    }
  }
}
