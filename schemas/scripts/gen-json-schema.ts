/**
 * Writes the JSON Schema files in schemas/json/ from the zod schemas (the zod schemas are the source
 * of truth). `npm run schemas:gen` after changing a schema; a test fails when the files are stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas } from '../src/json-schema.ts';

const dir = join(import.meta.dirname, '..', 'json');
for (const [name, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(dir, `${name}.schema.json`), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schemas/json/${name}.schema.json`);
}
