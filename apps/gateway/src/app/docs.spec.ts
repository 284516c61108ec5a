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
