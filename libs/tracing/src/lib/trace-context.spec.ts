import { formatTraceparent, readTraceContext, traceHeadersOf } from './trace-context';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const VALID = `00-${TRACE}-${SPAN}-01`;

describe('readTraceContext', () => {
  it('reads a W3C traceparent as the remote parent, with its tracestate', () => {
    const parent = readTraceContext({ traceparent: VALID, tracestate: 'vendor=abc' });
    expect(parent).toMatchObject({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(parent?.traceState?.get('vendor')).toBe('abc');
  });

  it('keeps an unsampled flag', () => {
    expect(readTraceContext({ traceparent: `00-${TRACE}-${SPAN}-00` })?.traceFlags).toBe(0);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['garbage', 'not a traceparent'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['short trace id', `00-${TRACE.slice(2)}-${SPAN}-01`],
    ['upper case', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['too long', `${VALID}-${'x'.repeat(10_000)}`],
  ])('ignores a malformed traceparent (%s): a new trace starts', (_name, traceparent) => {
    expect(readTraceContext({ traceparent })).toBeUndefined();
  });

  it('ignores a tracestate too long to be one, keeping the parent', () => {
    const parent = readTraceContext({ traceparent: VALID, tracestate: `a=${'b'.repeat(600)}` });
    expect(parent?.traceId).toBe(TRACE);
    expect(parent?.traceState).toBeUndefined();
  });
});

describe('formatTraceparent', () => {
  it('writes what readTraceContext reads', () => {
    const parent = readTraceContext({ traceparent: VALID })!;
    expect(formatTraceparent(parent)).toBe(VALID);
  });
});

describe('traceHeadersOf (the headers object of an MQTT 3.1.1 envelope)', () => {
  it('keeps traceparent and tracestate, nothing else', () => {
    expect(traceHeadersOf({ traceparent: VALID, tracestate: 'a=b', authorization: 'x' })).toEqual({
      traceparent: VALID,
      tracestate: 'a=b',
    });
  });

  it.each([null, 'text', [VALID], { traceparent: 42 }, {}])('ignores %p', (headers) => {
    expect(traceHeadersOf(headers)).toBeUndefined();
  });
});
