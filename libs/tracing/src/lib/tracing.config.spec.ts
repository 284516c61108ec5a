import { readEnv } from '@mqgw/config';
import { readTracingSettings, tracingEnvSchema } from './tracing.config';

const read = (env: Record<string, string>) =>
  readTracingSettings(readEnv(tracingEnvSchema, env), 'gateway');

describe('readTracingSettings', () => {
  it('is off without an endpoint', () => {
    expect(read({})).toBeUndefined();
  });

  it('sends to <base>/v1/traces, parent-based and fully sampled by default', () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      endpoint: 'http://collector:4318/v1/traces',
      serviceName: 'gateway',
      sampler: 'parentbased_always_on',
      ratio: 1,
      delayMs: 5000,
      maxBatchSpans: 512,
    });
  });

  it('prefers the traces endpoint, and reads the name and a ratio sampler', () => {
    expect(
      read({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces',
        OTEL_SERVICE_NAME: 'edge-gateway',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toMatchObject({
      endpoint: 'http://b:4318/traces',
      serviceName: 'edge-gateway',
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
    });
  });

  it('is off when OTEL_SDK_DISABLED, whatever else is set', () => {
    expect(
      read({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' }),
    ).toBeUndefined();
  });

  it.each([
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://a:4317'],
    ['OTEL_BSP_SCHEDULE_DELAY', 'soon'],
    ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '0'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => read({ [name]: value })).toThrow(name);
  });
});
