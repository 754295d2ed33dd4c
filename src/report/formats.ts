// `--format json,md,html,junit`: which report files to write (json is always written).
import { parseFormatList } from '../util/format-list.js';
import type { ReportFormat } from './write.js';

export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'md', 'html', 'junit'];

const ALIASES: Record<string, ReportFormat> = { markdown: 'md', xml: 'junit' };

/** Parses a comma-separated list; `all` means every format. Unknown names are a usage error. */
export function parseFormats(text: string | string[] | undefined, fallback: readonly ReportFormat[] = REPORT_FORMATS): ReportFormat[] {
  return parseFormatList(text, fallback, {
    formats: REPORT_FORMATS,
    always: 'json',
    aliases: ALIASES,
    unknown: (item) => `unknown report format "${item}" (expected ${REPORT_FORMATS.join(', ')} or all)`,
  });
}
