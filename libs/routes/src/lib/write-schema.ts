import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { routesJsonSchema } from './routes-file.schema';

/** `npx nx run routes:schema` writes config/routes.schema.json from the loader's schema. */
if (require.main === module) {
  writeFileSync(
    join(__dirname, '../../../../config/routes.schema.json'),
    `${JSON.stringify(routesJsonSchema(), null, 2)}\n`,
  );
}
