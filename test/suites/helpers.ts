// Running `handoff stress --suite all` through the real CLI and reading back every report it wrote.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../src/model/report.js';
import { suiteNames } from '../../src/harness/suite.js';

export { markedPids, runCli, tempReportDir } from '../harness/helpers.js';

/** Every report.json under a report dir, by suite name. */
export function reportsIn(dir: string): Map<string, Report> {
  const out = new Map<string, Report>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (lstatSync(path).isSymbolicLink() || !existsSync(join(path, 'report.json'))) continue;
    const r = JSON.parse(readFileSync(join(path, 'report.json'), 'utf8')) as Report;
    out.set(r.suite, r);
  }
  return out;
}

export const failing = (r: Report): string =>
  r.checks
    .filter((c) => !c.pass)
    .map((c) => `${c.id}: ${c.summary}`)
    .join(' | ');

export const allSuites = (): string[] => suiteNames();
