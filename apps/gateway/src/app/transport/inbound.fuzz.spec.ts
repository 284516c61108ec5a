import fc from 'fast-check';
import { isGatewayError } from '@mqgw/contracts';
import { RouteMatcher, defaultRoutesFile, loadRoutesFile, upstreamPath } from '@mqgw/routes';
import { parseBody, requireObject } from '../request/request-body';
import { readHeaders } from './inbound';
import { ReplyTopicPolicy } from './reply-topic.policy';

/** Every input either passes or fails as a typed GatewayError: nothing else escapes. */
function typedOrNothing(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    return isGatewayError(error) && error.statusCode === 400;
  }
}

const runs = { numRuns: 500, seed: 20261126 };
const matcher = new RouteMatcher(loadRoutesFile(defaultRoutesFile()).routes);
const levels = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '+',
    '#',
    '$',
    '..',
    '.',
    '%2F',
    '%2E%2E',
    'ü',
    '\u0000',
    '\r\n',
    'x'.repeat(70_000),
  ),
);

describe('hostile input, property-based', () => {
  it('payloads: any bytes become a body or a typed BAD_REQUEST', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.json().map((j) => Buffer.from(j)),
        ),
        (bytes) => typedOrNothing(() => requireObject(parseBody(Buffer.from(bytes)))),
      ),
      runs,
    );
  });

  it('user properties: any names and values become headers or a typed BAD_REQUEST', () => {
    const value = fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.string(), { maxLength: 3 }));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 40 }), value, { maxKeys: 80 }), (props) =>
        typedOrNothing(() => readHeaders(props as Record<string, string | string[]>)),
      ),
      runs,
    );
  });

  it('topics: a matched route never yields a parameter that leaves its path segment', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('api/v1/users/get/', 'api/v1/orders/list/', 'api/v2/users/'),
        levels,
        (prefix, level) =>
          typedOrNothing(() => {
            const match = matcher.match(prefix + level);
            if (!match) return;
            const path = upstreamPath(match.route.upstreamPath!, match.params);
            const segments = path.split('/');
            const template = match.route.upstreamPath!.split('/');
            if (segments.length !== template.length) throw new Error(`escaped: ${path}`);
            if (segments.some((s) => s === '..' || s === '.'))
              throw new Error(`dot segment: ${path}`);
          }),
      ),
      runs,
    );
  });

  it('reply topics: nothing with a wildcard, a $ prefix or a gateway namespace is ever accepted', () => {
    const policy = new ReplyTopicPolicy(
      matcher.routes.map((r) => r.filter),
      ['api/#', 'gateway/#'],
      ['#'],
    );
    fc.assert(
      fc.property(fc.array(levels, { minLength: 1, maxLength: 5 }), (parts) => {
        const topic = parts.join('/');
        const verdict = policy.check(topic);
        if (verdict.unsafe !== undefined) return true;
        return (
          !/[+#\u0000]/.test(topic) && !topic.startsWith('$') && !/^(api|gateway)(\/|$)/.test(topic)
        );
      }),
      runs,
    );
  });
});
