import { requestFor } from '../testing/pipeline.fixtures';
import { ForwardHeadersInterceptor } from './forward-headers.interceptor';

describe('ForwardHeadersInterceptor', () => {
  const step = new ForwardHeadersInterceptor();
  const headers = {
    'x-client-version': '7',
    'x-user-id': 'admin',
    'x-user-scopes': 'admin',
    'x-forwarded-for': '1.2.3.4',
    'x-gateway-service': 'other',
    'x-request-id': 'mine',
    'x-api-key': 'secret',
    authorization: 'Bearer t',
  };

  it('passes the client’s own x-* headers, never identity, proxy or credential headers', async () => {
    const req = requestFor('t/write', headers);
    await step.around(req, {}, async () => 'done');
    expect(req.forwardHeaders).toEqual({ 'x-client-version': '7' });
  });

  it('returns what the rest of the pipeline returns', async () => {
    await expect(step.around(requestFor('t/write'), {}, async () => 'reply')).resolves.toBe(
      'reply',
    );
  });
});
