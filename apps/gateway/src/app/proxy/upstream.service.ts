import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  GatewayError,
  REQUEST_HEADER,
  UPSTREAM_HEADER,
  codeForUpstreamStatus,
  type SuccessReply,
} from '@mqgw/contracts';
import type { LoadBalancer } from '@mqgw/balancing';
import type { InstanceDirectory, ServiceInstance } from '@mqgw/discovery';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { upstreamPath } from '../routes/route-matcher';
import type { GatewayRequest } from '../transport/gateway-request';
import { INSTANCE_DIRECTORY, LOAD_BALANCER } from '../tokens';
import {
  UpstreamConnectionError,
  UpstreamHttpClient,
  UpstreamTimeoutError,
  type UpstreamRequest,
  type UpstreamResponse,
} from './upstream-http.client';
import { RetryBudget } from './retry-budget';

const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** The upstream step: pick an instance, call it over HTTP, map the answer to the envelope. */
@Injectable()
export class UpstreamService {
  constructor(
    @Inject(INSTANCE_DIRECTORY) private readonly directory: InstanceDirectory,
    @Inject(LOAD_BALANCER) private readonly balancer: LoadBalancer,
    private readonly http: UpstreamHttpClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.budget = new RetryBudget(config.RETRY_BUDGET_PERCENT / 100);
  }

  private readonly budget: RetryBudget;

  /**
   * Calls the route's service (or `service`, for a fallback) and maps the answer to the
   * reply envelope. A failed attempt is retried once (see `retryTarget`): any call whose
   * instance refused the connection (that instance is also ejected for
   * `UPSTREAM_EJECT_SECONDS`), and an idempotent call (GET, PUT, DELETE, or any call with
   * an `idempotency-key`) that lost its connection. Nothing else is ever retried.
   */
  async forward(
    req: GatewayRequest,
    body: Record<string, unknown>,
    service = req.route.service!,
  ): Promise<SuccessReply> {
    const { route } = req;
    req.upstreamAttempted = true;
    const candidates = this.directory.instances(service);
    const first = this.balancer.pick(service, candidates);
    if (!first) {
      throw new GatewayError('SERVICE_UNAVAILABLE', `no healthy instance of ${service}`, {
        retryAfter: 5,
      });
    }
    const payload = route.transformBody ? route.transformBody(body, req.params) : body;
    const sendsBody = route.method !== 'GET' && route.method !== 'DELETE';
    const timeoutMs = route.timeoutMs ?? this.config.UPSTREAM_TIMEOUT_MS;
    const call = (instance: ServiceInstance) =>
      this.call(instance, {
        url: instance.url + upstreamPath(route.upstreamPath!, req.params),
        method: route.method,
        headers: this.headersFor(req, service, sendsBody),
        body: sendsBody ? JSON.stringify(payload) : undefined,
        timeoutMs,
      });
    this.budget.recordRequest();

    let response: UpstreamResponse;
    try {
      response = await call(first);
    } catch (error) {
      this.ejectIfRefused(first, error);
      const second = this.retryTarget(req, service, candidates, first, error);
      if (!second) throw toGatewayError(error, service, timeoutMs);
      try {
        response = await call(second);
      } catch (retryError) {
        this.ejectIfRefused(second, retryError);
        throw toGatewayError(retryError, service, timeoutMs);
      }
    }

    const { status } = response;
    if (status >= 200 && status < 300) {
      return {
        status: 'success',
        data: response.body,
        request_id: req.requestId,
        service,
        processing_time: req.elapsedSeconds(),
      };
    }
    if (status >= 400 && status < 500) {
      throw new GatewayError(
        codeForUpstreamStatus(status),
        messageOf(response.body) ?? `${service} answered ${status}`,
        {
          statusCode: status,
          details: response.body,
        },
      );
    }
    throw new GatewayError('UPSTREAM_ERROR', `${service} failed with status ${status}`, {
      details: { upstream_status: status },
    });
  }

  /**
   * Where a failed first attempt may go once more, if anywhere. Safe: nothing was sent
   * (refused), or the call is idempotent. Free of the retry budget when the first attempt
   * put no load on the service (refused, or a pooled connection it had already closed).
   * A stale connection may be retried on the same instance over a new connection.
   */
  private retryTarget(
    req: GatewayRequest,
    service: string,
    candidates: readonly ServiceInstance[],
    first: ServiceInstance,
    error: unknown,
  ): ServiceInstance | undefined {
    if (!(error instanceof UpstreamConnectionError)) return undefined;
    if (!error.refused && !isIdempotent(req)) return undefined;
    const others = candidates.filter((i) => i.instanceId !== first.instanceId);
    if (others.length === 0 && !error.stale) return undefined;
    if (!error.refused && !error.stale && !this.budget.tryAcquire()) return undefined;
    return others.length > 0 ? this.balancer.pick(service, others) : first;
  }

  /** Passive health: an instance that refused a connection leaves this gateway's routing. */
  private ejectIfRefused(instance: ServiceInstance, error: unknown): void {
    if (error instanceof UpstreamConnectionError && error.refused)
      this.directory.eject(instance.instanceId, this.config.UPSTREAM_EJECT_SECONDS * 1000);
  }

  private async call(
    instance: ServiceInstance,
    request: UpstreamRequest,
  ): Promise<UpstreamResponse> {
    this.balancer.track?.(instance.instanceId, 1);
    try {
      return await this.http.request(request);
    } finally {
      this.balancer.track?.(instance.instanceId, -1);
    }
  }

  /** Only the gateway decides identity and proxy headers; see `isReservedHeader`. */
  private headersFor(
    req: GatewayRequest,
    service: string,
    sendsBody: boolean,
  ): Record<string, string> {
    const headers: Record<string, string> = { ...req.forwardHeaders, accept: 'application/json' };
    if (sendsBody) headers['content-type'] = 'application/json';
    headers[UPSTREAM_HEADER.requestId] = req.requestId;
    headers[UPSTREAM_HEADER.service] = service;
    const traceparent = req.headers['traceparent'];
    if (traceparent && TRACEPARENT.test(traceparent))
      headers[UPSTREAM_HEADER.traceparent] = traceparent;
    if (req.principal.userId) headers[UPSTREAM_HEADER.userId] = req.principal.userId;
    if (req.principal.scopes.length > 0)
      headers[UPSTREAM_HEADER.userScopes] = req.principal.scopes.join(' ');
    // The service dedups too, so a retry that reaches it after a gateway died mid-call
    // (before the gateway could record the reply) does not run twice.
    const idempotencyKey = req.headers[REQUEST_HEADER.idempotencyKey];
    if (idempotencyKey !== undefined) {
      headers[UPSTREAM_HEADER.idempotencyKey] = createHash('sha256')
        .update(`${req.principal.id}\n${idempotencyKey}`)
        .digest('hex');
    }
    return headers;
  }
}

function isIdempotent(req: GatewayRequest): boolean {
  const method = req.route.method;
  return (
    method === 'GET' ||
    method === 'PUT' ||
    method === 'DELETE' ||
    req.headers[REQUEST_HEADER.idempotencyKey] !== undefined
  );
}

function toGatewayError(error: unknown, service: string, timeoutMs: number): GatewayError {
  if (error instanceof UpstreamTimeoutError) {
    return new GatewayError('GATEWAY_TIMEOUT', `${service} did not answer within ${timeoutMs} ms`, {
      cause: error,
    });
  }
  if (error instanceof UpstreamConnectionError) {
    return new GatewayError('UPSTREAM_ERROR', `${service} is unreachable`, { cause: error });
  }
  return new GatewayError('UPSTREAM_ERROR', `${service} sent an unusable response`, {
    cause: error,
  });
}

function messageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((m) => typeof m === 'string'))
    return message.join('; ');
  return undefined;
}
