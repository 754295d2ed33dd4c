// Writes a run's reports into its directory: report.json always, then the selected formats, then
// (for a fresh run) the `latest` pointer beside it and GitHub's step summary when GITHUB_STEP_SUMMARY is set.
import { appendFileSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { join } from 'node:path';
import type { Report } from '../model/report.js';
import { renderMarkdown } from './markdown.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { updateLatest } from './latest.js';
import { redactReport } from './redact.js';

export type ReportFormat = 'json' | 'md' | 'html' | 'junit';

export const REPORT_FILES: Record<ReportFormat, string> = {
  json: 'report.json',
  md: 'report.md',
  html: 'report.html',
  junit: 'junit.xml',
};

export interface WriteOptions {
  /** point `<parent of dir>/latest` at dir (default true; re-rendering an old run passes false) */
  latest?: boolean;
  /** file to append the Markdown to (default: $GITHUB_STEP_SUMMARY; null: never) */
  stepSummary?: string | null;
  /** called with a one-line warning for a non-fatal problem (latest pointer, step summary) */
  warn?: (message: string) => void;
}

/** Renders one format. json is the report itself, pretty-printed. Credentials are masked whatever the format
 * (a re-rendered older run may still carry them). */
export function renderReport(unmasked: Report, format: ReportFormat): string {
  const report = redactReport(unmasked);
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'junit':
      return renderJunit(report);
  }
}

/** Writes the run's reports into dir; json is always written. Returns the paths written. */
export async function writeReports(report: Report, dir: string, formats: ReportFormat[], options: WriteOptions = {}): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const wanted = new Set<ReportFormat>(['json', ...formats]);
  const written: string[] = [];
  for (const format of ['json', 'md', 'html', 'junit'] as const) {
    if (!wanted.has(format)) continue;
    const file = join(dir, REPORT_FILES[format]);
    writeFileAtomic(file, renderReport(report, format));
    written.push(file);
  }
  announceRun(dir, () => renderReport(report, 'md'), options);
  return written;
}

/** Points `<parent of dir>/latest` at dir (unless options.latest is false) and appends the Markdown to the CI step summary. */
export function announceRun(dir: string, markdown: () => string, options: WriteOptions = {}): void {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`handoff: warning: ${m}\n`));
  if (options.latest ?? true) {
    try {
      updateLatest(dir);
    } catch (err) {
      warn(`could not update the latest pointer: ${(err as Error).message}`);
    }
  }
  const summary = options.stepSummary === undefined ? process.env.GITHUB_STEP_SUMMARY || null : options.stepSummary;
  if (summary) {
    try {
      appendFileSync(summary, `${markdown()}\n`);
    } catch (err) {
      warn(`could not append to the step summary ${summary}: ${(err as Error).message}`);
    }
  }
}
