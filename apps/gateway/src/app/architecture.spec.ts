import { readFileSync, readdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { STEP_NAMES } from '@mqgw/routes';

const APP = __dirname;

/** Production source files of the gateway app, relative to `app/`. */
function sources(dir = APP): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testing' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [relative(APP, path)] : [];
  });
}

/** The part of the app a file belongs to: its top folder, or the file itself at the top. */
function partOf(file: string): string {
  const [first, ...rest] = file.split(sep);
  return rest.length > 0 ? first : first.replace(/\.ts$/, '');
}

/** Which parts each part imports, from relative `import ... from '...'` statements. */
function partGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources()) {
    const from = partOf(file);
    const text = readFileSync(join(APP, file), 'utf8');
    for (const match of text.matchAll(/from '(\.[^']+)'/g)) {
      const target = relative(APP, resolve(dirname(join(APP, file)), match[1]));
      const to = partOf(`${target}.ts`);
      if (to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const walk = (node: string, path: string[]): string[] | undefined => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) {
      const cycle = walk(next, [...path, node]);
      if (cycle) return cycle;
    }
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = walk(node, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the gateway’s architecture', () => {
  const graph = partGraph();

  it('has no import cycle between its folders', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const cyclic = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps the request path one-way: routing and the request model import no feature', () => {
    for (const low of ['routing', 'request']) {
      const imports = [...(graph.get(low) ?? [])].filter(
        (p) => !['routing', 'request'].includes(p),
      );
      expect([low, imports]).toEqual([low, []]);
    }
  });

  it('is composed of feature modules; app.module.ts only imports them', () => {
    const modules = sources().filter((f) => f.endsWith('.module.ts') && f.includes(sep));
    expect(modules.length).toBeGreaterThanOrEqual(5);
    const app = readFileSync(join(APP, 'app.module.ts'), 'utf8');
    expect(app).not.toMatch(/providers:|controllers:|ModuleRef/);
    for (const file of sources()) {
      expect([file, readFileSync(join(APP, file), 'utf8').includes('ModuleRef')]).toEqual([
        file,
        false,
      ]);
    }
  });

  it('has the order of the pipeline written once: no other file names the steps in order', () => {
    const repo = join(APP, '../../../..');
    const files = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' })
      .split('\n')
      .filter(
        (f) => /\.(ts|mjs|cjs|js|json|ya?ml|md)$/.test(f) && !f.endsWith('package-lock.json'),
      );
    const listed = files.filter((file) => inOrder(readFileSync(join(repo, file), 'utf8')));
    // Generated from STEPS: the routes file's JSON Schema and the AsyncAPI document.
    expect(listed.filter((f) => !GENERATED.has(f))).toEqual(['libs/routes/src/lib/steps.ts']);
  });

  it('finds the order when a file writes it out (the check itself works)', () => {
    expect(inOrder(`steps: ${STEP_NAMES.join(', ')}`)).toBe(true);
    expect(inOrder(`steps: ${[...STEP_NAMES].reverse().join(', ')}`)).toBe(false);
  });
});

const GENERATED = new Set(['config/routes.schema.json', 'docs/asyncapi.yaml']);

/** True when every step is named, in pipeline order, within one stretch of the text. */
function inOrder(text: string): boolean {
  const STRETCH = 3000;
  for (
    let start = text.indexOf(STEP_NAMES[0]);
    start >= 0;
    start = text.indexOf(STEP_NAMES[0], start + 1)
  ) {
    let at = start;
    const all = STEP_NAMES.every((name) => {
      const next = text.indexOf(name, at);
      if (next < 0 || next - start > STRETCH) return false;
      at = next + name.length;
      return true;
    });
    if (all) return true;
  }
  return false;
}
