// The shipped JSON Schemas (schema/*.schema.json) compiled with ajv, as a user's CI would use them: one validator
// per schema and a readable list of what does not fit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { packageRoot } from '../../src/paths.js';

export const schemaPath = (name: 'report' | 'config'): string => join(packageRoot, 'schema', `${name}.schema.json`);
export const loadSchema = (name: 'report' | 'config'): Record<string, any> => JSON.parse(readFileSync(schemaPath(name), 'utf8'));

// strict: a typo in a schema keyword is an error, not an ignored key
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validators = { report: ajv.compile(loadSchema('report')), config: ajv.compile(loadSchema('config')) };

const describe = (e: ErrorObject): string =>
  `${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ''}`;

/** What does not fit the schema, one line each; empty when the value is valid. */
export function schemaProblems(name: 'report' | 'config', value: unknown): string[] {
  const validate = validators[name];
  return validate(value) ? [] : (validate.errors ?? []).map(describe);
}
