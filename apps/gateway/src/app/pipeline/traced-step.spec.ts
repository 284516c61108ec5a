import type { CanActivate, NestInterceptor } from '@nestjs/common';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { GatewayError } from '@mqgw/contracts';
import { startTracing, type Tracing } from '@mqgw/tracing';
import { RequestTrace } from '../request/request-trace';
import { contextFor, requestFor, through } from './testing/pipeline.fixtures';
import { promised, requestOf } from './pipeline-step';
import { TracedGuard, TracedInterceptor } from './traced-step';

class KeepingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {
    return undefined;
  }
}

describe('traced steps', () => {
  let tracing: Tracing;
  let exporter: KeepingExporter;
  let trace: RequestTrace;

  beforeEach(() => {
    exporter = new KeepingExporter();
    tracing = startTracing(
      {
        endpoint: 'http://127.0.0.1:9/v1/traces',
        serviceName: 'gw',
        sampler: 'always_on',
        ratio: 1,
        delayMs: 5000,
        maxBatchSpans: 512,
      },
      { scope: 'gw', warn: () => undefined, processor: new SimpleSpanProcessor(exporter) },
    );
    trace = new RequestTrace(tracing.tracer, tracing.tracer.startSpan('api/v1/things/{id}'));
  });

  /** The server span's events once it has ended and been exported. */
  async function events() {
    trace.server.end();
    await tracing.shutdown();
    return exporter.spans[0].events.map((e) => ({ name: e.name, ...e.attributes }));
  }

  it('records a guard as an event with its verdict; auth adds the principal kind', async () => {
    const req = requestFor('t/read/1', {}, { trace });
    const auth: CanActivate = {
      canActivate: (context) => {
        requestOf(context).identify({ id: 'user:u1', kind: 'user', userId: 'u1', scopes: [] });
        return true;
      },
    };
    const refusing: CanActivate = { canActivate: async () => false };
    expect(new TracedGuard(auth, 'auth', true).canActivate(contextFor(req))).toBe(true);
    await expect(
      new TracedGuard(refusing, 'origin', false).canActivate(contextFor(req)),
    ).resolves.toBe(false);
    expect(await events()).toEqual([
      expect.objectContaining({
        name: 'step auth',
        'mqgw.principal.kind': 'user',
        'mqgw.duration_ms': expect.any(Number),
      }),
      expect.objectContaining({ name: 'step origin', 'mqgw.step.allowed': false }),
    ]);
  });

  it('records what a step throws by its code, never its message', async () => {
    const req = requestFor('t/read/1', {}, { trace });
    const limited: CanActivate = {
      canActivate: () => {
        throw new GatewayError('RATE_LIMITED', 'too many requests for Bearer secret-token');
      },
    };
    const failing: NestInterceptor = {
      intercept: () =>
        promised(Promise.reject(new GatewayError('UPSTREAM_ERROR', 'body: {"pin": 1234}'))),
    };
    expect(() => new TracedGuard(limited, 'rateLimit', true).canActivate(contextFor(req))).toThrow(
      GatewayError,
    );
    await expect(
      through(new TracedInterceptor(failing, 'breaker', false), req, async () => 1),
    ).rejects.toThrow(GatewayError);
    const recorded = await events();
    expect(recorded).toEqual([
      expect.objectContaining({ name: 'step rateLimit', 'error.type': 'RATE_LIMITED' }),
      expect.objectContaining({ name: 'step breaker', 'error.type': 'UPSTREAM_ERROR' }),
    ]);
    // Names and attributes only: an event's timestamp may hold the digits 1234.
    const written = exporter.spans[0].events.map(({ name, attributes }) => ({ name, attributes }));
    expect(JSON.stringify(written)).not.toMatch(/secret-token|1234/);
  });

  it('records a step that is not timed only when it refuses or throws', async () => {
    const req = requestFor('t/read/1', {}, { trace });
    const allowing: CanActivate = { canActivate: () => true };
    const allowingLater: CanActivate = { canActivate: async () => true };
    const refusing: CanActivate = { canActivate: () => false };
    const throwing: CanActivate = {
      canActivate: () => {
        throw new GatewayError('BAD_REQUEST', 'no');
      },
    };
    expect(new TracedGuard(allowing, 'origin', false).canActivate(contextFor(req))).toBe(true);
    await expect(
      new TracedGuard(allowingLater, 'admission', false).canActivate(contextFor(req)),
    ).resolves.toBe(true);
    expect(new TracedGuard(refusing, 'origin', false).canActivate(contextFor(req))).toBe(false);
    expect(() => new TracedGuard(throwing, 'validate', false).canActivate(contextFor(req))).toThrow(
      GatewayError,
    );
    expect((await events()).map((e) => e.name)).toEqual(['step origin', 'step validate']);
  });

  it('records an interceptor on every run if timed, else only when it or what it wraps throws', async () => {
    const req = requestFor('t/read/1', {}, { trace });
    const passing: NestInterceptor = { intercept: (_c, next) => next.handle() };
    await expect(
      through(new TracedInterceptor(passing, 'concurrency', true), req, async () => 'a'),
    ).resolves.toBe('a');
    await expect(
      through(new TracedInterceptor(passing, 'breaker', false), req, async () => 'b'),
    ).resolves.toBe('b');
    await expect(
      through(new TracedInterceptor(passing, 'breaker', false), req, async () => {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'circuit open');
      }),
    ).rejects.toThrow(GatewayError);
    expect(await events()).toEqual([
      expect.objectContaining({ name: 'step concurrency', 'mqgw.duration_ms': expect.any(Number) }),
      expect.objectContaining({ name: 'step breaker', 'error.type': 'SERVICE_UNAVAILABLE' }),
    ]);
  });

  it('runs the step as it is for a request that is not traced', async () => {
    const req = requestFor('t/read/1');
    const passing: NestInterceptor = { intercept: (_c, next) => next.handle() };
    await expect(
      through(new TracedInterceptor(passing, 'breaker', false), req, async () => 'reply'),
    ).resolves.toBe('reply');
    expect(await events()).toEqual([]);
  });
});
