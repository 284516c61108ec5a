import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace version from package.json, found by walking up from this file. */
function readVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@mqgw/source' && pkg.version) return pkg.version;
    } catch {
      // keep walking
    }
    dir = join(dir, '..');
  }
  return '0.0.0';
}

export const GATEWAY_VERSION = readVersion();
