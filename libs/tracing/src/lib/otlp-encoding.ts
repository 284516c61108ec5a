import type { AttributeValue, Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * OTLP protobuf (opentelemetry-proto, `trace/v1`) written straight from the SDK's finished
 * spans into one growing buffer, a span at a time, as each ends. The exporter of
 * OpenTelemetry JS serialises a whole batch at export instead, which keeps every span
 * object alive until then: on a gateway that answers thousands of requests a second those
 * objects outlive the young generation, and the garbage collector pays for them again
 * (docs/tracing.md#what-it-costs). Encoded at once, a span's objects die young and a batch
 * is bytes. The output is checked against the official definitions in the spec.
 */

/** Protobuf wire types. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** The largest buffer kept between batches: four times the default batch size. */
const MAX_KEPT_BYTES = 4 * 1024 * 1024;

/** Span flags (opentelemetry-proto `SpanFlags`): whether the parent was remote is known. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** A span's identity in a batch: which resource and scope its ScopeSpans belong to. */
export type SpanOrigin = Pick<ReadableSpan, 'resource' | 'instrumentationScope'>;

/** Appends protobuf fields to a buffer that grows as needed. */
class Writer {
  buf: Buffer;
  pos = 0;

  constructor(private readonly initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A non-negative integer up to 2^53. */
  varint(value: number): void {
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, value);
  }

  /** A signed 64-bit integer: negative ones take ten bytes, two's complement. */
  int64(value: number): void {
    if (value >= 0) return this.varint(value);
    this.ensure(10);
    let n = BigInt.asUintN(64, BigInt(value));
    while (n > 0x7fn) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
  }

  string(field: number, text: string): void {
    this.tag(field, LEN);
    this.ensure(5 + text.length * 3);
    if (text.length < 0x80) {
      // Short ASCII text, the common case, is copied here: a call into Buffer costs more.
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code > 0x7f) break;
        buf[start + i] = code;
      }
      if (i === text.length) {
        buf[this.pos] = i;
        this.pos = start + i;
        return;
      }
    }
    if (text.length < 43) {
      // At most 126 bytes: the length fits the one byte before the text.
      const written = this.buf.write(text, this.pos + 1, 'utf8');
      this.buf[this.pos] = written;
      this.pos += 1 + written;
    } else {
      this.varint(Buffer.byteLength(text));
      this.pos += this.buf.write(text, this.pos, 'utf8');
    }
  }

  /** An id given in hex (a trace or span id): its bytes. */
  hexBytes(field: number, hex: string): void {
    this.tag(field, LEN);
    this.ensure(1 + hex.length / 2);
    const written = this.buf.write(hex, this.pos + 1, 'hex');
    this.buf[this.pos] = written;
    this.pos += 1 + written;
  }

  fixed32(field: number, value: number): void {
    this.tag(field, I32);
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(value >>> 0, this.pos);
  }

  double(field: number, value: number): void {
    this.tag(field, I64);
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  /** An `HrTime` ([seconds, nanoseconds]) as fixed64 nanoseconds since the epoch. */
  time(field: number, [seconds, nanos]: HrTime): void {
    this.tag(field, I64);
    this.ensure(8);
    // seconds × 1e9 passes 2^53: split the seconds so that each product stays exact.
    const low16 = (seconds % 0x10000) * 1e9 + nanos;
    const high = Math.floor(seconds / 0x10000) * 1e9;
    // total = high × 2^16 + low16, written as two 32-bit halves.
    const lowSum = (high % 0x10000) * 0x10000 + (low16 % 0x100000000);
    const lo = lowSum % 0x100000000;
    const hi =
      Math.floor(high / 0x10000) +
      Math.floor(low16 / 0x100000000) +
      Math.floor(lowSum / 0x100000000);
    this.buf.writeUInt32LE(lo, this.pos);
    this.pos = this.buf.writeUInt32LE(hi >>> 0, this.pos + 4);
  }

  /**
   * Starts a length-delimited field: its tag and one byte kept for the length, which
   * `end` fills in (moving the content on in the rare case the length needs more).
   */
  begin(field: number): number {
    this.tag(field, LEN);
    this.ensure(1);
    return this.pos++;
  }

  end(at: number): void {
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buf[at] = length;
      return;
    }
    const bytes = varintSize(length);
    this.ensure(bytes - 1);
    this.buf.copyWithin(at + bytes, at + 1, this.pos);
    this.pos += bytes - 1;
    putVarint(this.buf, at, length);
  }

  /** Repeated `KeyValue`s under `field`. */
  attributes(field: number, attributes: Attributes): void {
    const keys = Object.keys(attributes);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const value = attributes[key];
      if (value === undefined) continue;
      const pair = this.begin(field);
      this.string(1, key);
      const any = this.begin(2);
      this.anyValue(value);
      this.end(any);
      this.end(pair);
    }
  }

  /** The fields of an `AnyValue`, as the official serialiser chooses them. */
  anyValue(value: AttributeValue | null | undefined): void {
    if (typeof value === 'string') return this.string(1, value);
    if (typeof value === 'boolean') {
      this.tag(2, VARINT);
      return this.varint(value ? 1 : 0);
    }
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
        this.tag(3, VARINT);
        return this.int64(value);
      }
      return this.double(4, value);
    }
    if (Array.isArray(value)) {
      const array = this.begin(5);
      for (const item of value as (AttributeValue | null | undefined)[]) {
        const entry = this.begin(1);
        this.anyValue(item);
        this.end(entry);
      }
      this.end(array);
    }
  }

  traceState(field: number, context: SpanContext): void {
    const state = context.traceState?.serialize();
    if (state) this.string(field, state);
  }

  /** What was written, as a copy, and starts again empty. */
  take(): Buffer {
    const bytes = Buffer.from(this.written());
    this.reset();
    return bytes;
  }

  /** What was written, not copied: valid until the next write. */
  written(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Starts again empty; a buffer that grew past `MAX_KEPT_BYTES` is given back. */
  reset(): void {
    this.pos = 0;
    if (this.buf.length > MAX_KEPT_BYTES) this.buf = Buffer.allocUnsafe(this.initialSize);
  }
}

/**
 * The spans of one batch as OTLP `Span` messages, each written as it is added, for one
 * resource and instrumentation scope. `request` wraps them in an
 * `ExportTraceServiceRequest`, the body of an OTLP/HTTP export.
 */
export class SpanBatchEncoder {
  private readonly writer = new Writer();
  private count = 0;
  private origin?: SpanOrigin;

  /** How many spans, and how many bytes of them, are waiting. */
  get spans(): number {
    return this.count;
  }

  get bytes(): number {
    return this.writer.pos;
  }

  /** Whether `span` can join this batch: the same resource and scope, or an empty batch. */
  accepts(span: SpanOrigin): boolean {
    const origin = this.origin;
    return (
      origin === undefined ||
      (span.resource === origin.resource &&
        span.instrumentationScope === origin.instrumentationScope)
    );
  }

  /**
   * Appends `span`, unless its encoding is longer than `maxBytes`: then the batch is left as
   * it was and `false` says so. Should encoding throw half way (a value no span should
   * hold), the batch is also left as it was, and the error is the caller's.
   */
  add(span: ReadableSpan, maxBytes = Infinity): boolean {
    const from = this.writer.pos;
    try {
      this.write(span);
    } catch (error) {
      this.writer.pos = from;
      throw error;
    }
    if (this.writer.pos - from > maxBytes) {
      this.writer.pos = from;
      return false;
    }
    if (this.count === 0) this.origin = span;
    this.count++;
    return true;
  }

  private write(span: ReadableSpan): void {
    const w = this.writer;
    const context = span.spanContext();
    const at = w.begin(2);
    w.hexBytes(1, context.traceId);
    w.hexBytes(2, context.spanId);
    w.traceState(3, context);
    const parent = span.parentSpanContext;
    if (parent?.spanId) w.hexBytes(4, parent.spanId);
    w.string(5, span.name);
    // The API's kinds start at INTERNAL = 0; the protocol keeps 0 for "unspecified".
    w.tag(6, VARINT);
    w.varint(span.kind + 1);
    w.time(7, span.startTime);
    w.time(8, span.endTime);
    w.attributes(9, span.attributes);
    if (span.droppedAttributesCount) {
      w.tag(10, VARINT);
      w.varint(span.droppedAttributesCount);
    }
    for (const event of span.events) {
      const e = w.begin(11);
      w.time(1, event.time);
      w.string(2, event.name);
      if (event.attributes) w.attributes(3, event.attributes);
      if (event.droppedAttributesCount) {
        w.tag(4, VARINT);
        w.varint(event.droppedAttributesCount);
      }
      w.end(e);
    }
    if (span.droppedEventsCount) {
      w.tag(12, VARINT);
      w.varint(span.droppedEventsCount);
    }
    for (const link of span.links) {
      const l = w.begin(13);
      w.hexBytes(1, link.context.traceId);
      w.hexBytes(2, link.context.spanId);
      w.traceState(3, link.context);
      if (link.attributes) w.attributes(4, link.attributes);
      if (link.droppedAttributesCount) {
        w.tag(5, VARINT);
        w.varint(link.droppedAttributesCount);
      }
      w.fixed32(6, flagsOf(link.context, link.context.isRemote));
      w.end(l);
    }
    if (span.droppedLinksCount) {
      w.tag(14, VARINT);
      w.varint(span.droppedLinksCount);
    }
    const status = w.begin(15);
    if (span.status.message) w.string(2, span.status.message);
    w.tag(3, VARINT);
    w.varint(span.status.code);
    w.end(status);
    w.fixed32(16, flagsOf(context, parent?.isRemote));
    w.end(at);
  }

  /** The spans added so far as one `ExportTraceServiceRequest`, and an empty batch. */
  request(): Buffer {
    const origin = this.origin;
    const spans = this.writer.written();
    this.count = 0;
    this.origin = undefined;
    if (!origin) return Buffer.alloc(0);
    // ResourceSpans { resource, ScopeSpans { scope, spans } }: the spans are written, so
    // the lengths around them are known; the resource and scope are written once each.
    const w = new Writer(1024);
    const resource = w.begin(1);
    w.attributes(1, origin.resource.attributes);
    w.end(resource);
    const resourceField = w.take();
    const scope = w.begin(1);
    w.string(1, origin.instrumentationScope.name);
    if (origin.instrumentationScope.version) w.string(2, origin.instrumentationScope.version);
    w.end(scope);
    const scopeField = w.take();
    const scopeSpans = scopeField.length + spans.length;
    w.tag(1, LEN);
    w.varint(resourceField.length + 1 + varintSize(scopeSpans) + scopeSpans);
    const opening = w.take();
    w.tag(2, LEN);
    w.varint(scopeSpans);
    const scopeOpening = w.take();
    // The one copy of the spans' bytes: the writer's buffer is then free for the next batch.
    const request = Buffer.concat([opening, resourceField, scopeOpening, scopeField, spans]);
    this.writer.reset();
    return request;
  }
}

/** The W3C trace flags, and whether the parent was remote (when there is one). */
function flagsOf(context: SpanContext, isRemote: boolean | undefined): number {
  return (context.traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/** Writes `value` (a non-negative integer up to 2^53) as a varint at `at`; returns the end. */
function putVarint(buf: Buffer, at: number, value: number): number {
  while (value > 0x7f) {
    buf[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buf[at++] = value;
  return at;
}

function varintSize(value: number): number {
  let bytes = 1;
  for (let rest = value; rest > 0x7f; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}
