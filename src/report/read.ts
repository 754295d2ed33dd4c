// Reads a run's report.json back (for `handoff report <run-dir>` and `compare`), checking that it is a
// handoff report of a schema this version understands, so re-rendering never draws garbage.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';
import { SCHEMA_VERSION, type Report } from './schema.js';

/** Validates the parts every renderer relies on; returns the report typed. Pure. */
export function asReport(value: unknown, source: string): Report {
  const fail = (why: string): never => {
    throw new UsageError(`${source} is not a handoff report: ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not a JSON object');
  const r = value as Record<string, unknown>;
  if ((r.tool as { name?: unknown } | undefined)?.name !== 'handoff') fail('tool.name is not "handoff"');
  if (r.schema !== SCHEMA_VERSION) fail(`schema ${JSON.stringify(r.schema)}, this handoff reads schema ${SCHEMA_VERSION}`);
  if (r.verdict !== 'pass' && r.verdict !== 'fail') fail('verdict is neither "pass" nor "fail"');
  for (const key of ['checks', 'phases', 'timeline'] as const) if (!Array.isArray(r[key])) fail(`${key} is not an array`);
  for (const key of ['target', 'load', 'peaks'] as const) if (typeof r[key] !== 'object' || r[key] === null) fail(`${key} is missing`);
  for (const c of r.checks as unknown[]) {
    const check = c as Record<string, unknown>;
    if (typeof check?.id !== 'string' || typeof check.pass !== 'boolean' || !Array.isArray(check.evidence)) fail('a check lacks id, pass or evidence');
  }
  return value as Report;
}

/** Reads `<dir>/report.json` (or the file itself when given a path to a .json file). */
export function readReport(dirOrFile: string): Report {
  let file = dirOrFile;
  try {
    if (statSync(dirOrFile).isDirectory()) file = join(dirOrFile, 'report.json');
  } catch {
    throw new UsageError(`${dirOrFile}: no such run directory`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${file}: cannot read (is ${dirOrFile} a run directory?)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: invalid JSON (${(err as Error).message})`);
  }
  return asReport(parsed, file);
}
