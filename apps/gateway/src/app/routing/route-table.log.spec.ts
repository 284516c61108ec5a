import { parseRoutesFile } from '@mqgw/routes';
import { routeTableEntry } from './route-table.log';

describe('the route table in the log', () => {
  it('is a one-line message and one array item per route, with no line break inside', () => {
    const table = parseRoutesFile(
      `services:
  inventory-service:
    instances: [http://127.0.0.1:8080]
groups:
  - prefix: api/v1
    steps: [auth]
    routes:
      - { topic: 'inventory/get/{sku}', qos: 1, service: inventory-service, method: GET, path: '/items/{sku}' }
`,
      '/etc/mqgw/routes.yaml',
    );
    const entry = routeTableEntry(table);
    expect(entry.msg).toBe(`routes ${table.digest} from /etc/mqgw/routes.yaml: 4 routes`);
    expect(entry.routes).toHaveLength(1 + 4);
    expect(entry.routes[0]).toMatch(/^topic +qos +upstream +steps +scopes$/);
    expect(entry.routes[1]).toMatch(
      /^api\/v1\/inventory\/get\/\{sku\} +1 +inventory-service GET \/items\/\{sku\} +auth,/,
    );
    expect(JSON.stringify(entry)).not.toContain('\\n');
  });
});
