// The JSON schema of handoff.config.json (schema/config.schema.json), made from the proxy's option table: the
// `target` keys that are reference-proxy options are the table's `config` rows, each typed by its `json` shape and
// described by its --help line. The rest of the schema (the other sections, the command-target keys) is the
// hand-written template, scripts/config.schema.template.json. Pure: scripts/gen-config-schema.mjs writes the
// file, test/schema/generated.test.ts fails when the checked-in file is not what this makes.
import { type ConfigValue, proxyFlagKeysFor, proxyOptionRow } from '../proxy/option-table.js';

type JsonSchema = Record<string, unknown>;

/** how the parser takes a number: the number itself or its text ("5s", "443") */
const NUMBER_OR_TEXT: JsonSchema = { type: ['string', 'number'] };

function valueSchema(json: ConfigValue): JsonSchema {
  if (json === 'string') return { type: 'string' };
  if (json === 'number') return { ...NUMBER_OR_TEXT };
  if ('enum' in json) return { enum: [...json.enum] };
  const one = json.list === 'string' ? { type: 'string' } : NUMBER_OR_TEXT;
  return { oneOf: [{ ...one }, { type: 'array', items: { ...one } }] };
}

/**
 * The schema of each proxy option a config file's `target` may set, in table order. A refused row (--auth) is
 * left out: the parser knows it only to refuse it, so the schema does not offer it.
 */
export function proxyTargetProperties(): Record<string, JsonSchema> {
  const properties: Record<string, JsonSchema> = {};
  for (const key of proxyFlagKeysFor('config')) {
    const row = proxyOptionRow(key);
    if (row.field === null) continue;
    // a switch (public) is a JSON boolean (the parser still reads "true"/"false", which older files may hold)
    const schema = row.value === null ? { type: 'boolean' } : valueSchema(row.json);
    properties[key] = { ...schema, description: row.help };
  }
  return properties;
}

/** The template with the proxy options put first into `target.properties`, before the template's own keys. */
export function configSchema(template: JsonSchema): JsonSchema {
  const schema = structuredClone(template) as { properties: { target: { properties: Record<string, JsonSchema> } } };
  const target = schema.properties.target;
  const own = target.properties;
  const proxy = proxyTargetProperties();
  const clash = Object.keys(own).filter((key) => key in proxy);
  if (clash.length > 0) throw new Error(`config schema template: target keys ${clash.join(', ')} are proxy options (the table's)`);
  target.properties = { ...proxy, ...own };
  return schema as unknown as JsonSchema;
}

/** The file's text as checked in: two-space JSON and a final newline. */
export const configSchemaText = (template: JsonSchema): string => `${JSON.stringify(configSchema(template), null, 2)}\n`;
