import { pipelineConfig, requestFor, through } from '../testing/pipeline.fixtures';
import { ForwardHeadersInterceptor } from './forward-headers.interceptor';

describe('ForwardHeadersInterceptor', () => {
  const step = new ForwardHeadersInterceptor(pipelineConfig());
  const headers = {
    'x-client-version': '7',
    'x-device-id': 'd1',
    'x-http-method-override': 'DELETE',
    'x-original-url': '/admin',
    'x-real-ip': '10.0.0.1',
    x_user_id: 'admin',
    'x-user-id': 'admin',
    'x-user-scopes': 'admin',
    'x-forwarded-for': '1.2.3.4',
    'x-gateway-service': 'other',
    'x-request-id': 'mine',
    'x-api-key': 'secret',
    authorization: 'Bearer t',
  };

  it('passes only the headers FORWARD_HEADERS allows, never identity, proxy or credential headers', async () => {
    const req = requestFor('t/write', headers);
    await through(step, req, async () => 'done');
    expect(req.forwarded.toObject()).toEqual({ 'x-client-version': '7', 'x-device-id': 'd1' });
  });

  it('refuses a value that cannot be sent as an HTTP header, as the caller’s error', async () => {
    for (const value of ['日本', 'caf\u00e9', 'a\u0001b']) {
      await expect(
        through(step, requestFor('t/write', { 'x-client-note': value }), async () => 'x'),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_request' });
    }
  });

  it('returns what the rest of the pipeline returns', async () => {
    await expect(through(step, requestFor('t/write'), async () => 'reply')).resolves.toBe('reply');
  });
});
