// Builds the publishable @mqgw/client into dist/libs/client (`npx nx run client:build`):
//   index.cjs, index.mjs  for Node and bundlers (mqtt.js is a dependency, not bundled)
//   browser.mjs           one ES module for a page without a bundler, mqtt.js inside
//   types/                declarations
//   package.json          with an export for each
// esbuild makes the JavaScript (tsc would need two configurations and a bundler anyway);
// tsc writes the declarations.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const out = join(root, 'dist/libs/client');
const entry = join(here, 'src/index.ts');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = { entryPoints: [entry], bundle: true, target: 'es2022', logLevel: 'warning' };
await Promise.all([
  build({
    ...common,
    platform: 'node',
    format: 'cjs',
    external: ['mqtt'],
    outfile: join(out, 'index.cjs'),
  }),
  build({
    ...common,
    platform: 'neutral',
    format: 'esm',
    external: ['mqtt'],
    outfile: join(out, 'index.mjs'),
  }),
  build({
    ...common,
    platform: 'browser',
    format: 'esm',
    minify: true,
    sourcemap: true,
    outfile: join(out, 'browser.mjs'),
  }),
]);
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.lib.json')],
  { stdio: 'inherit' },
);
copyFileSync(join(here, 'package.json'), join(out, 'package.json'));
copyFileSync(join(here, 'README.md'), join(out, 'README.md'));
