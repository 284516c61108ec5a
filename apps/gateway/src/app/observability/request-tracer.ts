import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { readTraceContext, safeAttributes, startTracing, type Tracing } from '@mqgw/tracing';
import type { CompiledRoute } from '@mqgw/routes';
import { RequestTrace, type TracedArrival } from '../request/request-trace';
import { GATEWAY_VERSION } from '../version';
import { OBSERVABILITY_CONFIG, type ObservabilityConfig } from './observability.config';
import { PrometheusMetrics } from './prometheus.metrics';

/**
 * Starts the server span of each request, when tracing is on (`OTEL_EXPORTER_OTLP_ENDPOINT`):
 * a child of the caller's `traceparent` if it sent a well-formed one, else a new trace.
 * With tracing off, `begin` returns `undefined` at the cost of one comparison, and nothing
 * downstream allocates a span.
 */
@Injectable()
export class RequestTracer implements OnApplicationShutdown {
  private readonly tracing?: Tracing;
  private readonly logger = new Logger('Tracing');

  constructor(
    @Inject(OBSERVABILITY_CONFIG) config: ObservabilityConfig,
    prometheus: PrometheusMetrics,
  ) {
    if (!config.tracing) return;
    this.tracing = startTracing(config.tracing, {
      scope: 'mqgw-gateway',
      version: GATEWAY_VERSION,
      onDropped: (count) => prometheus.droppedSpans.inc(count),
      warn: (line) => this.logger.warn(line),
    });
    this.logger.log(
      `exporting spans to ${config.tracing.endpoint} as ${config.tracing.serviceName} (${config.tracing.sampler})`,
    );
  }

  get enabled(): boolean {
    return this.tracing !== undefined;
  }

  /** The server span of a request, named after its route template (not the topic). */
  begin(
    inbound: TracedArrival,
    clientId: string,
    route: CompiledRoute | undefined,
    receivedAt: number,
  ): RequestTrace | undefined {
    if (!this.tracing) return undefined;
    const template = route?.template ?? 'unmatched';
    // No sampler in use reads attributes: they are built only for a span that records.
    const server = this.tracing.tracer.startSpan(
      template,
      { kind: SpanKind.SERVER, startTime: performance.timeOrigin + receivedAt },
      this.parentOf(inbound),
    );
    if (server.isRecording()) {
      server.setAttributes(
        safeAttributes({
          'messaging.system': 'mqtt',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'request',
          'messaging.destination.template': route?.template,
          'messaging.client.id': clientId,
          'mqgw.mqtt.qos': inbound.qos,
          'mqgw.device': inbound.device,
        }),
      );
    }
    return new RequestTrace(this.tracing.tracer, server);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tracing?.shutdown();
  }

  private parentOf(inbound: TracedArrival): Context {
    const parent = inbound.trace && readTraceContext(inbound.trace);
    return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  }
}
