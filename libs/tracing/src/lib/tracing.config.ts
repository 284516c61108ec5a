import { ConfigError, bool, custom, int, maybe, oneOf, str, url, type EnvOf } from '@mqgw/config';

/** The samplers `OTEL_TRACES_SAMPLER` names, as the OpenTelemetry specification lists them. */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/**
 * The standard OpenTelemetry variables an app reads to export traces. Tracing is off
 * unless an OTLP endpoint is set; with one, spans go out as OTLP/HTTP protobuf.
 */
export const tracingEnvSchema = {
  OTEL_SDK_DISABLED: bool({ default: false, doc: 'true turns tracing off whatever else is set' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: maybe(
    url({
      protocols: ['http:', 'https:'],
      doc: 'OTLP/HTTP base URL (spans go to <url>/v1/traces); unset = no tracing',
    }),
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: maybe(
    url({ protocols: ['http:', 'https:'], doc: 'full OTLP/HTTP traces URL, over the base URL' }),
  ),
  OTEL_SERVICE_NAME: maybe(str({ pattern: /^[\w.:/-]{1,128}$/, doc: 'service.name of spans' })),
  OTEL_TRACES_SAMPLER: oneOf(SAMPLERS, {
    default: 'parentbased_always_on',
    doc: 'which requests are traced',
  }),
  OTEL_TRACES_SAMPLER_ARG: maybe(
    custom('a ratio from 0 to 1', ratioOf, { doc: 'the ratio of *traceidratio samplers' }),
  ),
  OTEL_BSP_SCHEDULE_DELAY: int({
    min: 1,
    max: 60_000,
    default: 5000,
    doc: 'ms from the first span of a batch that is not full to its export',
  }),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: int({
    min: 1,
    max: 4096,
    default: 512,
    doc: 'spans per export, at most',
  }),
};

/** Where and how spans are exported, when tracing is on. */
export interface TracingSettings {
  /** The full OTLP/HTTP traces URL. */
  endpoint: string;
  serviceName: string;
  sampler: SamplerName;
  /** For the ratio samplers: the share of new traces kept. */
  ratio: number;
  /** Milliseconds a batch that is not full waits for more spans. */
  delayMs: number;
  /** Spans per export, at most. */
  maxBatchSpans: number;
}

/** The settings, or `undefined` when tracing is off (no endpoint, or the SDK disabled). */
export function readTracingSettings(
  env: EnvOf<typeof tracingEnvSchema>,
  defaultServiceName: string,
): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED) return undefined;
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT &&
      `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (!endpoint) {
    if (env.OTEL_TRACES_SAMPLER_ARG !== undefined && !env.OTEL_TRACES_SAMPLER.endsWith('ratio')) {
      throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', 'only read by a *traceidratio sampler', '');
    }
    return undefined;
  }
  return {
    endpoint,
    serviceName: env.OTEL_SERVICE_NAME ?? defaultServiceName,
    sampler: env.OTEL_TRACES_SAMPLER,
    ratio: env.OTEL_TRACES_SAMPLER_ARG ?? 1,
    delayMs: env.OTEL_BSP_SCHEDULE_DELAY,
    maxBatchSpans: env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
  };
}

function ratioOf(raw: string): number | undefined {
  const value = Number(raw.trim());
  return raw.trim() !== '' && value >= 0 && value <= 1 ? value : undefined;
}
