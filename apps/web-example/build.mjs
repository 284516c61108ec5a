// Bundles the example page for browsers into dist/apps/web-example (`npx nx run
// web-example:build`): index.html and one ES module with @mqgw/client and mqtt.js inside.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../../dist/apps/web-example');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  // The @mqgw/client path alias comes from this project's tsconfig.json.
  tsconfig: join(here, 'tsconfig.json'),
  outfile: join(out, 'main.js'),
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
