// `--format json,md,html,junit`: which report files to write (json is always written).
import { UsageError } from '../util/errors.js';
import type { ReportFormat } from './write.js';

export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'md', 'html', 'junit'];

const ALIASES: Record<string, ReportFormat> = { markdown: 'md', xml: 'junit' };

/** Parses a comma-separated list; `all` means every format. Unknown names are a usage error. */
export function parseFormats(text: string | string[] | undefined, fallback: readonly ReportFormat[] = REPORT_FORMATS): ReportFormat[] {
  if (text === undefined) return [...fallback];
  const items = (Array.isArray(text) ? text : [text])
    .flatMap((t) => String(t).split(','))
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!items.length) throw new UsageError(`--format needs at least one of ${REPORT_FORMATS.join(',')}`);
  const out = new Set<ReportFormat>(['json']);
  for (const item of items) {
    if (item === 'all') REPORT_FORMATS.forEach((f) => out.add(f));
    else if ((REPORT_FORMATS as readonly string[]).includes(item)) out.add(item as ReportFormat);
    else if (ALIASES[item]) out.add(ALIASES[item]);
    else throw new UsageError(`unknown report format "${item}" (expected ${REPORT_FORMATS.join(', ')} or all)`);
  }
  return REPORT_FORMATS.filter((f) => out.has(f));
}
