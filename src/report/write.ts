// STUB — replaced by the reports work (issue 6): writes report.json and the selected formats.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from './schema.js';

export type ReportFormat = 'json' | 'md' | 'html' | 'junit';

/** Writes the run's reports into dir; json is always written. Returns the paths written. */
export async function writeReports(report: Report, dir: string, _formats: ReportFormat[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'report.json');
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return [file];
}
