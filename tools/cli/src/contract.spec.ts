import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { run } from './main';

const WORKSPACE = join(__dirname, '../../..');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      env: {},
      readLine: async () => '',
    },
  };
}

/** Type-checks `files` as a user's project would, with `@mqgw/client` resolved to its source. */
function typeErrors(dir: string, files: string[]): string[] {
  const program = ts.createProgram(
    files.map((f) => join(dir, f)),
    {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(WORKSPACE, 'node_modules/@types')],
      baseUrl: WORKSPACE,
      paths: { '@mqgw/client': ['libs/client/src/index.ts'] },
    },
  );
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName.startsWith(dir))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start!);
      return `${d.file!.fileName.slice(dir.length + 1)}:${line + 1} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
}

describe('generate types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqgw-types-'));

  beforeAll(() => {
    // As a user runs it, in a process of its own (json-schema-to-typescript formats its output
    // with prettier through a dynamic import, which Jest's module sandbox does not run).
    const result = spawnSync(
      process.execPath,
      [
        join(WORKSPACE, 'tools/cli/mqgw.cjs'),
        'generate',
        'types',
        '--routes',
        'config/routes.yaml',
        '--out',
        join(dir, 'routes.ts'),
      ],
      { cwd: WORKSPACE, encoding: 'utf8' },
    );
    expect([result.status, result.stderr]).toEqual([
      0,
      expect.stringMatching(/routes\.ts: types of 20 routes \(table [0-9a-f]{12}\)\n$/),
    ]);
  }, 60_000);

  it('writes a type per route, the Routes union and each route’s method', () => {
    const types = readFileSync(join(dir, 'routes.ts'), 'utf8');
    expect(types).toContain('export interface ApiV1UsersCreateRequest {');
    expect(types).toContain(
      '| { topic: `api/v1/users/get/${string}`; request: ApiV1UsersGetUserIdRequest; reply: SuccessReply<ApiV1UsersGetUserIdReply> }',
    );
    expect(types).toContain("{ topic: 'api/v1/users/get/{user_id}', method: 'GET' },");
    expect(typeErrors(dir, ['routes.ts'])).toEqual([]);
  });

  it('has written the browser example’s types from the current table', () => {
    // Written by `npm run -s cli -- generate types --routes config/routes.yaml --out apps/web-example/src/mqgw-routes.ts`.
    expect(readFileSync(join(WORKSPACE, 'apps/web-example/src/mqgw-routes.ts'), 'utf8')).toBe(
      readFileSync(join(dir, 'routes.ts'), 'utf8'),
    );
  });

  it('makes a wrong body a compile error, and types the reply of a right one', () => {
    writeFileSync(
      join(dir, 'right.ts'),
      `import { connect } from '@mqgw/client';
import { ROUTES, type Routes } from './routes';

export async function main(): Promise<string> {
  const client = await connect<Routes>('mqtt://127.0.0.1:1883', { routes: ROUTES });
  const created = await client.request('api/v1/users/create', { name: 'Ada', email: 'ada@example.com', role: 'user' });
  const role: 'user' | 'admin' = created.data.role;
  const order = await client.request('api/v1/orders/get/ord_1');
  const total: number = order.data.total;
  const health = await client.request('gateway/health');
  return \`\${role} \${total} \${health.status}\`;
}
`,
    );
    expect(typeErrors(dir, ['right.ts'])).toEqual([]);
    writeFileSync(
      join(dir, 'wrong.ts'),
      `import { connect } from '@mqgw/client';
import type { Routes } from './routes';

export async function main(): Promise<void> {
  const client = await connect<Routes>('mqtt://127.0.0.1:1883');
  await client.request('api/v1/users/create', { name: 'Ada', email: 42 });
  await client.request('api/v1/users/create', { name: 'Ada' });
  await client.request('api/v1/orders/create', { items: [{ sku: 'x', quantity: 1, price: 0 }] });
  const created = await client.request('api/v1/users/create', { name: 'Ada', email: 'a@x.io' });
  const nope: number = created.data.name;
  await client.request('api/v9/nothing', {});
}
`,
    );
    const errors = typeErrors(dir, ['wrong.ts']);
    expect(errors).toEqual([
      expect.stringMatching(/^wrong\.ts:6 .*Type 'number' is not assignable to type 'string'/),
      expect.stringMatching(/^wrong\.ts:7 .*Property 'email' is missing/),
      expect.stringMatching(/^wrong\.ts:8 .*'price' does not exist/),
      expect.stringMatching(/^wrong\.ts:10 Type 'string' is not assignable to type 'number'/),
      expect.stringMatching(/^wrong\.ts:11 .*'"api\/v9\/nothing"' is not assignable/),
    ]);
  }, 60_000);
});

describe('routes diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqgw-diff-'));
  const file = (name: string, routes: string) => {
    writeFileSync(
      join(dir, name),
      `services:\n  svc:\ngroups:\n  - prefix: api\n    middleware: [auth]\n    routes:\n${routes}`,
    );
    return join(dir, name);
  };
  const route = (
    topic: string,
    request = '{ type: object, properties: { a: { type: string } } }',
  ) =>
    `      - { topic: ${topic}, qos: 1, service: svc, method: POST, path: /x, request: ${request} }\n`;
  const base = file('base.yaml', route('a') + route('b'));

  it('exits 1 on a removed route, printing what changed', async () => {
    const c = io();
    expect(await run(['routes', 'diff', base, file('removed.yaml', route('a'))], c.io)).toBe(1);
    expect(c.out).toEqual(['! api/b: route removed']);
    expect(c.err[0]).toMatch(/base\.yaml -> .*removed\.yaml: 1 change, 1 breaking$/);
  });

  it('exits 0 on an added optional field', async () => {
    const c = io();
    const optional = '{ type: object, properties: { a: { type: string }, b: { type: integer } } }';
    expect(
      await run(
        ['routes', 'diff', base, file('added.yaml', route('a') + route('b', optional))],
        c.io,
      ),
    ).toBe(0);
    expect(c.out).toEqual(['~ api/b request /b: optional field added']);
  });

  it('exits 1 naming the file and line when a file does not load', async () => {
    const c = io();
    expect(
      await run(['routes', 'diff', base, file('broken.yaml', route('a', '{ type: strng }'))], c.io),
    ).toBe(1);
    expect(c.err[0]).toMatch(
      /^routes error: broken\.yaml:7 groups\[0\]\.routes\[0\]\.request: api\/a: request schema does not compile/,
    );
  });

  it('finds no breaking change in the default table since the main branch', async () => {
    // The committed table the branch started from: main's, where there is one, else HEAD's.
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: WORKSPACE, encoding: 'utf8' }).trim();
    const ref = ['main', 'origin/main'].find((r) => {
      try {
        git('rev-parse', '--verify', '--quiet', r);
        return true;
      } catch {
        return false;
      }
    });
    const base = ref ? git('merge-base', 'HEAD', ref) : 'HEAD';
    const out = mkdtempSync(join(tmpdir(), 'mqgw-base-'));
    mkdirSync(join(out, 'config'));
    for (const path of git('ls-tree', '-r', '--name-only', base, 'config').split('\n')) {
      if (!/\.(ya?ml|json)$/.test(path)) continue;
      mkdirSync(join(out, path, '..'), { recursive: true });
      writeFileSync(join(out, path), git('show', `${base}:${path}`));
    }
    const c = io();
    const code = await run(
      ['routes', 'diff', join(out, 'config/routes.yaml'), join(WORKSPACE, 'config/routes.yaml')],
      c.io,
    );
    expect([code, c.out.filter((l) => l.startsWith('!'))]).toEqual([0, []]);
  });
});
