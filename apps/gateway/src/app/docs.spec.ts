import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayEnvSchema } from './gateway.config';

const root = join(__dirname, '../../../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('configuration docs match the code', () => {
  const envExample = read('.env.example');
  const readme = read('README.md');

  it.each(Object.keys(gatewayEnvSchema))('%s is in .env.example and the README table', (name) => {
    expect(envExample).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    expect(readme).toContain(`\`${name}\``);
  });
});

describe('install scripts of dependencies', () => {
  const pkg = JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };
  const decided = pkg.allowScripts ?? {};

  it('are each allowed or denied in package.json, so npm 11 warns of none', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in decided))).toEqual([]);
  });

  it('are explained in docs/security.md, each decision', () => {
    const security = read('docs/security.md');
    for (const [name, allowed] of Object.entries(decided)) {
      const row = `\\| \`${name.replace(/[/.]/g, '\\$&')}\` +\\| ${allowed ? 'allowed' : 'denied'} +\\|`;
      expect(security).toMatch(new RegExp(row));
    }
  });
});
