import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { compileRoutes } from '../routing/route-compiler';
import { ROUTES } from '../routing/route-table';
import { GATEWAY_VERSION } from '../version';
import { buildAsyncApi } from './asyncapi.document';

/** `npx nx run gateway:asyncapi` writes docs/asyncapi.yaml from the route table. */
export function asyncApiYaml(): string {
  const header =
    '# Generated from apps/gateway/src/app/routes/route-table.ts by `npx nx run gateway:asyncapi`.\n';
  return (
    header +
    stringify(buildAsyncApi(compileRoutes(ROUTES), GATEWAY_VERSION), {
      aliasDuplicateObjects: false,
    })
  );
}

if (require.main === module) {
  writeFileSync(join(__dirname, '../../../../../docs/asyncapi.yaml'), asyncApiYaml());
}
