import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceEnvSchema } from './service.config';

describe('service configuration docs match the code', () => {
  const envExample = readFileSync(join(__dirname, '../../../../.env.example'), 'utf8');

  it.each(Object.keys(serviceEnvSchema(3001)))('%s is in .env.example', (name) => {
    expect(envExample).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
