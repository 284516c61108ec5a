import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultRoutesFile, loadRoutesFile } from '@mqgw/routes';
import { GATEWAY_VERSION } from '../version';
import { buildAsyncApi } from './asyncapi.document';

/**
 * `npx nx run gateway:asyncapi` writes docs/asyncapi.yaml from the default routes file; a
 * running gateway serves the document of its active table on `GET /asyncapi.yaml`.
 */
export function asyncApiYaml(): string {
  const header =
    '# Generated from config/routes.yaml by `npx nx run gateway:asyncapi`; a running gateway serves its own on GET /asyncapi.yaml.\n';
  return (
    header +
    stringify(buildAsyncApi(loadRoutesFile(defaultRoutesFile()).routes, GATEWAY_VERSION), {
      aliasDuplicateObjects: false,
    })
  );
}

if (require.main === module) {
  writeFileSync(join(__dirname, '../../../../../docs/asyncapi.yaml'), asyncApiYaml());
}
