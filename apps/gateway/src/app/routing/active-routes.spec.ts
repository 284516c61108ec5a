import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRoutesFile, type RouteTable } from '@mqgw/routes';
import { ActiveRoutes } from './active-routes';

const file = (routes: string[]) => `services:
  s:
groups:
  - prefix: api/v1
    steps: [auth]
    routes:
${routes.map((topic) => `      - { topic: ${topic}, qos: 1, service: s, method: GET, path: /x }`).join('\n')}
`;

describe('ActiveRoutes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routes-'));
  const path = join(dir, 'routes.yaml');
  const start = () => {
    writeFileSync(path, file(['kept', 'old']));
    return new ActiveRoutes(loadRoutesFile(path), { file: path });
  };

  it('applies a valid file, matching removed routes until every listener has followed', async () => {
    const routes = start();
    const seen: string[] = [];
    routes.subscribe({
      routesChanged: (next: RouteTable, previous: RouteTable) => {
        // Meanwhile both the added and the removed routes match.
        seen.push(
          ...['api/v1/kept', 'api/v1/old', 'api/v1/new'].map(
            (t) => `${t}:${routes.matcher.match(t) ? 'match' : 'none'}`,
          ),
          `${previous.digest}->${next.digest}`,
        );
      },
    });
    const before = routes.table.digest;
    writeFileSync(path, file(['kept', 'new']));
    const status = await routes.reload();
    expect(status).toMatchObject({ ok: true, digest: routes.table.digest });
    expect(seen).toEqual([
      'api/v1/kept:match',
      'api/v1/old:match',
      'api/v1/new:match',
      `${before}->${routes.table.digest}`,
    ]);
    expect(routes.matcher.match('api/v1/old')).toBeUndefined();
    expect(routes.matcher.match('api/v1/new')?.route.template).toBe('api/v1/new');
  });

  it('keeps the table on a broken file, and says why', async () => {
    const routes = start();
    const heard: boolean[] = [];
    routes.onReload((s) => heard.push(s.ok));
    const before = routes.table;
    writeFileSync(path, file(['kept']).replace('method: GET', 'method: FETCH'));
    const status = await routes.reload();
    expect(status.ok).toBe(false);
    expect(status.error).toMatch(
      /^routes\.yaml:7 groups\[0\]\.routes\[0\]\.method: expected one of/,
    );
    expect(routes.table).toBe(before);
    expect(routes.lastReload).toEqual(status);
    expect(routes.matcher.match('api/v1/old')).toBeDefined();
    expect(heard).toEqual([false]);
  });

  it('keeps the table, and its validators, when a schema does not compile', async () => {
    const routes = start();
    const before = routes.table;
    writeFileSync(
      path,
      file(['kept']).replace('path: /x }', 'path: /x, request: { type: object, maxLenght: 3 } }'),
    );
    const status = await routes.reload();
    expect(status.error).toBe(
      'routes.yaml:7 groups[0].routes[0].request: api/v1/kept: request schema does not compile: strict mode: unknown keyword: "maxLenght"',
    );
    expect(routes.table).toBe(before);
    expect(routes.matcher.match('api/v1/kept')?.route.contract).toBeUndefined();
  });

  it('changes nothing when a listener refuses the new table', async () => {
    const routes = start();
    const before = routes.table;
    let followed = false;
    routes.subscribe({
      validate: (next) => {
        if (next.routes.some((r) => r.template === 'api/v1/new')) throw new Error('clash');
      },
      routesChanged: () => {
        followed = true;
      },
    });
    writeFileSync(path, file(['kept', 'new']));
    expect(await routes.reload()).toMatchObject({ ok: false, error: 'clash' });
    expect([routes.table, followed]).toEqual([before, false]);
    expect(routes.matcher.match('api/v1/new')).toBeUndefined();
  });

  it('runs one reload at a time', async () => {
    const routes = start();
    writeFileSync(path, file(['a']));
    const [first, second] = [routes.reload(), routes.reload()];
    expect(first).toBe(second);
    await first;
  });
});
