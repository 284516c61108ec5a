import { GATEWAY_ROUTES } from './gateway-routes';
import { parseRoutesFile } from './routes-file';
import { routesJsonSchema } from './routes-file.schema';

const own = `services:
  inventory-service:
    instances: [http://10.0.0.5:8080]
groups:
  - prefix: api/v1
    steps: [auth]
    routes:
      - { topic: 'inventory/get/{sku}', qos: 1, service: inventory-service, method: GET, path: '/items/{sku}' }
`;

const templates = (text: string) =>
  parseRoutesFile(text, '/etc/mqgw/routes.yaml').routes.map((r) => r.template);

describe('the built-in gateway routes', () => {
  it('are served by a routes file that does not name them', () => {
    const table = parseRoutesFile(own, '/etc/mqgw/routes.yaml');
    expect(table.routes.map((r) => [r.template, r.handler, r.allowAnonymous])).toEqual([
      ['api/v1/inventory/get/{sku}', 'proxy', false],
      ['gateway/health', 'health', true],
      ['gateway/services', 'services', true],
      ['gateway/metrics', 'metrics', true],
    ]);
    expect(table.warnings).toEqual([]);
    // Their contracts come with them: no schema file needed beside the routes file.
    for (const route of table.routes.slice(1)) {
      expect(route.contract?.reply).toEqual(expect.objectContaining({ type: 'object' }));
      expect([...route.steps]).toEqual(['auth', 'admission', 'validate', 'rateLimit']);
    }
  });

  it('are turned off only by gateway: false, which lets a file declare its own', () => {
    expect(templates(`gateway: false\n${own}`)).toEqual(['api/v1/inventory/get/{sku}']);
    const custom = `gateway: false
${own}  - prefix: gateway
    steps: [auth]
    routes:
      - { topic: health, qos: 0, handler: health }
`;
    expect(templates(custom)).toEqual(['api/v1/inventory/get/{sku}', 'gateway/health']);
  });

  it('ignore a gateway group of the file, with a one-line warning naming file, line and key', () => {
    const table = parseRoutesFile(
      `${own}  - prefix: gateway
    steps: []
    routes:
      - { topic: health, qos: 0, handler: health }
`,
      '/etc/mqgw/routes.yaml',
    );
    expect(table.routes.map((r) => r.template)).toEqual([
      'api/v1/inventory/get/{sku}',
      ...GATEWAY_ROUTES.map((r) => `gateway/${r.topic}`),
    ]);
    expect(table.routes[1].steps.has('auth')).toBe(true);
    expect(table.warnings).toEqual([
      'routes.yaml:9 groups[1].prefix: the gateway/* routes are built in, so this group is ignored (remove it, or set "gateway: false" to serve your own)',
    ]);
  });

  it('reply as their schemas say: a health reply with no Redis configured', () => {
    const health = parseRoutesFile(own, 'routes.yaml').routes[1].contract;
    const reply = {
      status: 'healthy',
      timestamp: 1,
      version: '0.1.0',
      services: {},
      redis: 'none',
      routes: { file: 'routes.yaml', digest: 'abc', count: 4 },
    };
    expect(health?.validateReply(reply)).toEqual([]);
    expect(health?.validateReply({ ...reply, redis: 'up' })).not.toEqual([]);
  });

  it('are a key of the published JSON Schema', () => {
    const properties = routesJsonSchema()['properties'] as Record<string, { type?: string }>;
    expect(properties['gateway']?.type).toBe('boolean');
  });
});
