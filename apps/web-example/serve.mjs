// Serves the built example page on http://127.0.0.1:8080 (`npx nx run web-example:serve`,
// PORT to change it). Only the two files of the build, nothing else of the disk.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../dist/apps/web-example');
const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/main.js': ['main.js', 'text/javascript; charset=utf-8'],
};
const port = Number(process.env.PORT ?? 8080);
createServer((req, res) => {
  const file =
    FILES[/** @type {keyof typeof FILES} */ (new URL(req.url ?? '/', 'http://x').pathname)];
  if (!file) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': file[1] }).end(readFileSync(join(dist, file[0])));
}).listen(port, '127.0.0.1', () => {
  process.stdout.write(`example page on http://127.0.0.1:${port}/\n`);
});
