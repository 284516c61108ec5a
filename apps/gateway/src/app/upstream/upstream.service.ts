import { Inject, Injectable } from '@nestjs/common';
import {
  GatewayError,
  UPSTREAM_HEADER,
  classifyFailure,
  codeForUpstreamStatus,
  type SuccessReply,
} from '@mqgw/contracts';
import type { LoadBalancer } from '@mqgw/balancing';
import { InstanceDirectory, type ServiceInstance } from '@mqgw/discovery';
import { REFUSAL } from '../pipeline/guards/admission-control';
import type { GatewayRequest } from '../request/gateway-request';
import { failed } from '../request/request-trace';
import { upstreamPath } from '@mqgw/routes';
import { ReplyContract } from './reply-contract';
import { RetryBudget } from './retry-budget';
import { LOAD_BALANCER } from './upstream.tokens';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import {
  UpstreamCallError,
  UpstreamHttpClient,
  type UpstreamRequest,
  type UpstreamResponse,
} from './upstream-http.client';

const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** The upstream step: pick an instance, call it over HTTP, map the answer to the envelope. */
@Injectable()
export class UpstreamService {
  private readonly budget: RetryBudget;
  /** Calls in flight per instance id, from this process. */
  private readonly outstanding = new Map<string, number>();

  constructor(
    private readonly directory: InstanceDirectory,
    @Inject(LOAD_BALANCER) private readonly balancer: LoadBalancer,
    private readonly http: UpstreamHttpClient,
    @Inject(UPSTREAM_CONFIG) private readonly config: UpstreamConfig,
    private readonly contract: ReplyContract,
  ) {
    this.budget = new RetryBudget(config.retryBudgetRatio);
  }

  /**
   * Calls the request's service (the route's, or a fallback's) and maps the answer to the
   * reply envelope. A failed attempt is tried once more, on another instance when there is
   * one, as `classifyFailure` allows: always when nothing reached the service, for
   * idempotent calls (GET, PUT, DELETE, or any with an `idempotency-key`) when it may have.
   * A refusing instance is also ejected for `UPSTREAM_EJECT_SECONDS`. No attempt waits past
   * the client's own deadline.
   */
  async forward(
    req: GatewayRequest,
    service: string,
    body: Record<string, unknown>,
  ): Promise<SuccessReply> {
    const { route } = req;
    const candidates = this.directory.instances(service);
    const first = this.balancer.pick(service, candidates);
    if (!first) {
      throw new GatewayError('SERVICE_UNAVAILABLE', `no healthy instance of ${service}`, {
        retryAfter: 5,
        reason: 'no_instance',
      });
    }
    const payload = route.transformBody ? route.transformBody(body, req.params) : body;
    const sendsBody = route.method !== 'GET' && route.method !== 'DELETE';
    const routeTimeoutMs = route.timeoutMs ?? this.config.timeoutMs;
    const headers = this.headersFor(req, service, sendsBody);
    const path = upstreamPath(route.upstreamPath!, req.params);
    const encoded = sendsBody ? JSON.stringify(payload) : undefined;
    const call = (instance: ServiceInstance, resends: number) => {
      const timeoutMs = this.timeoutFor(req, routeTimeoutMs);
      const target = this.target(instance.url, path);
      const request = { ...target, method: route.method, headers, body: encoded };
      return this.attempt(req, service, instance, { ...request, timeoutMs }, resends);
    };
    this.budget.recordRequest();
    let response: UpstreamResponse;
    try {
      response = await call(first, 0);
    } catch (error) {
      const second = this.retryTarget(req, service, candidates, first, error);
      if (!second) throw error;
      response = await call(second, 1);
    }
    return this.toReply(req, service, response);
  }

  /**
   * One call to one instance: timed for the request, and, when the request is traced, an
   * HTTP client span whose `traceparent` the call carries, so the service continues the
   * trace. A retry is a second attempt, with its own span (`http.request.resend_count`).
   */
  private attempt(
    req: GatewayRequest,
    service: string,
    instance: ServiceInstance,
    request: UpstreamRequest,
    resends: number,
  ): Promise<UpstreamResponse> {
    const started = performance.now();
    const traced = req.trace?.attempt(request.method, () => {
      const { hostname, port } = this.split(instance.url);
      return {
        'http.request.method': request.method,
        'url.full': request.origin + request.path,
        'server.address': hostname,
        'server.port': port,
        'http.request.resend_count': resends > 0 ? resends : undefined,
        'mqgw.service': service,
        'mqgw.instance.id': instance.instanceId,
      };
    });
    if (traced) request.headers = { ...request.headers, traceparent: traced.traceparent };
    return this.call(instance, request)
      .then((response) => {
        traced?.span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 500)
          traced?.span.setAttribute('error.type', String(response.status));
        return response;
      })
      .catch((error) => {
        const failure = toGatewayError(error, service, request.timeoutMs);
        if (traced) failed(traced.span, failure.reason ? { code: failure.reason } : failure);
        throw failure;
      })
      .finally(() => {
        req.recordUpstreamAttempt(performance.now() - started);
        traced?.span.end();
      });
  }

  /** The route's timeout, or less when the client's deadline comes first; none left refuses. */
  private timeoutFor(req: GatewayRequest, routeTimeoutMs: number): number {
    if (req.clientDeadline === undefined) return routeTimeoutMs;
    const left = Math.floor(req.clientDeadline - performance.now());
    if (left <= 0) throw REFUSAL.deadline;
    return Math.min(routeTimeoutMs, left);
  }

  /** Calls this process has in flight to an instance. */
  outstandingTo(instanceId: string): number {
    return this.outstanding.get(instanceId) ?? 0;
  }

  private toReply(req: GatewayRequest, service: string, response: UpstreamResponse): SuccessReply {
    const { status } = response;
    if (status >= 200 && status < 300) {
      this.contract.check(req, service, response.body);
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
        { statusCode: status, details: response.body, reason: 'rejected' },
      );
    }
    throw new GatewayError('UPSTREAM_ERROR', `${service} failed with status ${status}`, {
      details: { upstream_status: status },
      reason: 'status',
    });
  }

  /**
   * Where a failed first attempt may go once more, if anywhere: as `classifyFailure` says,
   * to another instance, or over a new connection to the same one when the first failed
   * on a connection the service had closed. Free of the retry budget when the first
   * attempt cost the service nothing.
   */
  private retryTarget(
    req: GatewayRequest,
    service: string,
    candidates: readonly ServiceInstance[],
    first: ServiceInstance,
    error: unknown,
  ): ServiceInstance | undefined {
    const failure = classifyFailure(error);
    if (failure.retry === 'never' || req.route.retries === 0) return undefined;
    if (failure.retry === 'if-idempotent' && !isIdempotent(req)) return undefined;
    const reason = (error as GatewayError).reason;
    const others = candidates.filter((i) => i.instanceId !== first.instanceId);
    if (others.length === 0 && reason !== 'stale') return undefined;
    if (!failure.retryIsFree && !this.budget.tryAcquire()) return undefined;
    return others.length > 0 ? this.balancer.pick(service, others) : first;
  }

  private readonly origins = new Map<string, SplitUrl>();

  /** An instance URL split into origin and base path, once per URL. */
  private target(url: string, path: string): { origin: string; path: string } {
    const split = this.split(url);
    return { origin: split.origin, path: split.basePath + path };
  }

  /** An instance URL parsed once: its origin, base path and, for spans, host and port. */
  private split(url: string): SplitUrl {
    let split = this.origins.get(url);
    if (!split) {
      const parsed = new URL(url);
      split = {
        origin: parsed.origin,
        basePath: parsed.pathname.replace(/\/+$/, ''),
        hostname: parsed.hostname,
        port: Number(parsed.port) || undefined,
      };
      if (this.origins.size >= 10_000) this.origins.clear();
      this.origins.set(url, split);
    }
    return split;
  }

  private async call(
    instance: ServiceInstance,
    request: UpstreamRequest,
  ): Promise<UpstreamResponse> {
    this.balancer.track?.(instance.instanceId, 1);
    this.outstanding.set(instance.instanceId, (this.outstanding.get(instance.instanceId) ?? 0) + 1);
    try {
      return await this.http.request(request);
    } catch (error) {
      // Passive health: an instance that refused a connection leaves this gateway's routing.
      if (error instanceof UpstreamCallError && error.reason === 'refused') {
        this.directory.eject(instance.instanceId, this.config.ejectMs);
      }
      throw error;
    } finally {
      this.balancer.track?.(instance.instanceId, -1);
      const left = (this.outstanding.get(instance.instanceId) ?? 1) - 1;
      if (left > 0) this.outstanding.set(instance.instanceId, left);
      else this.outstanding.delete(instance.instanceId);
    }
  }

  /** Only the gateway decides identity and proxy headers; see `isReservedHeader`. */
  private headersFor(
    req: GatewayRequest,
    service: string,
    sendsBody: boolean,
  ): Record<string, string> {
    const headers = req.forwarded.toObject();
    headers['accept'] = 'application/json';
    if (sendsBody) headers['content-type'] = 'application/json';
    headers[UPSTREAM_HEADER.requestId] = req.requestId;
    headers[UPSTREAM_HEADER.service] = service;
    const traceparent = req.headers['traceparent'];
    if (traceparent && TRACEPARENT.test(traceparent))
      headers[UPSTREAM_HEADER.traceparent] = traceparent;
    if (req.principal.userId) headers[UPSTREAM_HEADER.userId] = req.principal.userId;
    if (req.principal.scopes.length > 0)
      headers[UPSTREAM_HEADER.userScopes] = req.principal.scopes.join(' ');
    const method = AUTH_METHOD[req.principal.kind];
    if (method) headers[UPSTREAM_HEADER.authMethod] = method;
    return headers;
  }
}

const AUTH_METHOD: Record<GatewayRequest['principal']['kind'], string | undefined> = {
  user: 'jwt',
  'api-key': 'api-key',
  device: 'broker',
  anonymous: undefined,
};

/** Safe to send twice: by its method, or because the idempotency step gave it a key. */
function isIdempotent(req: GatewayRequest): boolean {
  const method = req.route.method;
  return (
    method === 'GET' ||
    method === 'PUT' ||
    method === 'DELETE' ||
    req.forwarded.has(UPSTREAM_HEADER.idempotencyKey)
  );
}

function toGatewayError(error: unknown, service: string, timeoutMs: number): GatewayError {
  if (!(error instanceof UpstreamCallError)) {
    return new GatewayError('UPSTREAM_ERROR', `${service} sent an unusable response`, {
      cause: error,
      reason: 'unusable',
    });
  }
  const { reason } = error;
  switch (reason) {
    case 'timeout':
      return new GatewayError(
        'GATEWAY_TIMEOUT',
        `${service} did not answer within ${timeoutMs} ms`,
        { cause: error, reason },
      );
    case 'invalid_request':
      return new GatewayError('BAD_REQUEST', 'the request has a header that cannot be sent', {
        cause: error,
        reason,
      });
    case 'unusable':
      return new GatewayError('UPSTREAM_ERROR', `${service} sent an unusable response`, {
        cause: error,
        reason,
      });
    case 'too_large':
      return new GatewayError('UPSTREAM_ERROR', `${service} answered more than may be passed on`, {
        cause: error,
        reason,
      });
    default:
      return new GatewayError('UPSTREAM_ERROR', `${service} is unreachable`, {
        cause: error,
        reason,
      });
  }
}

function messageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((m) => typeof m === 'string'))
    return message.join('; ');
  return undefined;
}

/** An instance URL, parsed. */
interface SplitUrl {
  origin: string;
  basePath: string;
  hostname: string;
  port: number | undefined;
}
