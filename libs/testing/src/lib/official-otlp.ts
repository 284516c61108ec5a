import { dirname, join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
// The protobuf definitions of opentelemetry-proto as OpenTelemetry JS generated them (its
// 0.212 line, the last to ship them): what a collector decodes.
import root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

interface Message {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: object): unknown;
}
const REQUEST = (
  root as unknown as {
    opentelemetry: { proto: { collector: { trace: { v1: Record<string, Message> } } } };
  }
).opentelemetry.proto.collector.trace.v1['ExportTraceServiceRequest'];

/** An `ExportTraceServiceRequest` decoded: every field, defaults included, ids in base64. */
export function decodeExportRequest(bytes: Uint8Array): unknown {
  return REQUEST.toObject(REQUEST.decode(bytes), {
    longs: String,
    bytes: String,
    defaults: true,
    arrays: true,
  });
}

/**
 * The bytes OpenTelemetry JS's own serialiser writes for `spans`: the one of the exporter
 * package this project sends with (`@opentelemetry/otlp-exporter-base`), wherever npm put it.
 */
export function officialBytes(spans: ReadableSpan[]): Uint8Array {
  const bytes = officialSerializer().serializeRequest(spans);
  if (!bytes) throw new Error('the official serialiser wrote nothing');
  return bytes;
}

interface Serializer {
  serializeRequest(spans: ReadableSpan[]): Uint8Array | undefined;
}
let serializer: Serializer | undefined;

/** Found once: the serialiser the exporter base depends on. */
function officialSerializer(): Serializer {
  if (serializer) return serializer;
  const base = join(dirname(require.resolve('@opentelemetry/otlp-exporter-base')), '../..');
  const path = require.resolve('@opentelemetry/otlp-transformer', { paths: [base] });
  serializer = (require(path) as { ProtobufTraceSerializer: Serializer }).ProtobufTraceSerializer;
  return serializer;
}
