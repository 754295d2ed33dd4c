// schema/config.schema.json is generated (scripts/gen-config-schema.mjs): its `target` proxy options come from the
// option table. The checked-in file must be exactly what the template and the table make now, so an option added
// or changed without `npm run gen:schema` fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { configSchemaText, proxyTargetProperties } from '../../src/config/schema.js';
import { packageRoot } from '../../src/paths.js';
import { proxyFlagKeysFor, proxyOptionRow } from '../../src/proxy/option-table.js';
import { schemaPath } from './validator.js';

const template = JSON.parse(readFileSync(join(packageRoot, 'scripts', 'config.schema.template.json'), 'utf8'));

t.test('the checked-in config schema is the generated one (else: npm run gen:schema)', async (t) => {
  const checkedIn = readFileSync(schemaPath('config'), 'utf8');
  const generated = configSchemaText(template);
  if (checkedIn !== generated) {
    t.same(JSON.parse(checkedIn), JSON.parse(generated), 'schema/config.schema.json differs from the option table: run npm run gen:schema');
  }
  t.equal(checkedIn, generated, 'byte for byte');
});

t.test('every config row of the table is a target property, typed by its row and described by its help', async (t) => {
  const properties = proxyTargetProperties();
  const rows = proxyFlagKeysFor('config').filter((key) => proxyOptionRow(key).field !== null);
  t.same(Object.keys(properties), rows, 'in table order, the refused --auth left out');
  for (const key of rows) t.equal(properties[key].description, proxyOptionRow(key).help, key);
  t.same(properties.strategy.enum, ['inline', 'per-connection', 'prefork', 'cluster', 'fork']);
  t.same(properties.connectPorts.oneOf, [{ type: ['string', 'number'] }, { type: 'array', items: { type: ['string', 'number'] } }]);
  t.same(properties.host, { type: 'string', description: proxyOptionRow('host').help });
});

t.test('the template may not define a proxy option itself (the table is its one source)', async (t) => {
  const bad = structuredClone(template);
  bad.properties.target.properties.workers = { type: 'number' };
  t.throws(() => configSchemaText(bad), /workers are proxy options/);
});
