// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the types of an entry point that `moduleResolution: node` cannot see (see the file)
/// <reference path="../types/otlp-exporter-base-node-http.d.ts" />
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import type { BatchSender, EncodedBatch } from './encoded-batch';

/**
 * Sends encoded batches to an OTLP/HTTP traces endpoint with the OpenTelemetry JS
 * exporter's own transport: its timeout, retries with backoff, concurrency limit, and the
 * standard `OTEL_EXPORTER_OTLP_*` variables for headers, timeout and compression. Only the
 * serialiser is this project's: the batch arrives already encoded (`SpanBatchEncoder`).
 */
export function otlpHttpSender(url: string): BatchSender {
  return new OTLPExporterBase<EncodedBatch>(
    createOtlpHttpExportDelegate(
      convertLegacyHttpOptions({ url }, 'TRACES', 'v1/traces', {
        'Content-Type': 'application/x-protobuf',
      }),
      {
        serializeRequest: (batch: EncodedBatch) => batch.bytes,
        // A collector answers an ExportTraceServiceResponse; a partial success is not read.
        deserializeResponse: () => ({}),
      },
      'otlp_http_span_exporter',
      { name: 'span', countItems: (batch: EncodedBatch) => batch.spans },
      undefined,
    ),
  );
}
