// Writes schema/config.schema.json: the template (scripts/config.schema.template.json) with the `target` options of
// the proxy's option table (src/config/schema.ts). Run after adding or changing an option: npm run gen:schema
// (it builds first; this script reads the compiled module). test/schema/generated.test.ts fails until it is run.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { configSchemaText } = await import(join(root, 'dist', 'src', 'config', 'schema.js')).catch((err) => {
  throw new Error(`dist/src/config/schema.js: ${err.message} (npm run build first, or npm run gen:schema)`);
});
const template = JSON.parse(readFileSync(join(root, 'scripts', 'config.schema.template.json'), 'utf8'));
const out = join(root, 'schema', 'config.schema.json');
writeFileSync(out, configSchemaText(template));
process.stdout.write(`wrote ${out}\n`);
