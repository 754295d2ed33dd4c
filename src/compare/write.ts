// Writes a comparison's files into its directory: comparison.json always, comparison.md / .html on request.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFormatList } from '../util/format-list.js';
import { renderCompareHtml } from './html.js';
import { renderCompareMarkdown } from './markdown.js';
import type { Comparison } from './types.js';

export type CompareFormat = 'json' | 'md' | 'html';
export const COMPARE_FORMATS: readonly CompareFormat[] = ['json', 'md', 'html'];
export const COMPARE_FILES: Record<CompareFormat, string> = { json: 'comparison.json', md: 'comparison.md', html: 'comparison.html' };

/** `--format json,md,html` for a comparison (json is always written; `all` = every format). */
export function parseCompareFormats(text: string | undefined): CompareFormat[] {
  return parseFormatList(text, COMPARE_FORMATS, {
    formats: COMPARE_FORMATS,
    always: 'json',
    aliases: { markdown: 'md' },
    unknown: (item) =>
      `unknown comparison format "${item}" (expected ${COMPARE_FORMATS.join(', ')} or all; each run also writes its own reports)`,
  });
}

export function renderComparison(c: Comparison, format: CompareFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(c, null, 2)}\n`;
    case 'md':
      return renderCompareMarkdown(c);
    case 'html':
      return renderCompareHtml(c);
  }
}

export function writeComparison(c: Comparison, dir: string, formats: readonly CompareFormat[]): string[] {
  mkdirSync(dir, { recursive: true });
  const wanted = new Set<CompareFormat>(['json', ...formats]);
  return COMPARE_FORMATS.filter((f) => wanted.has(f)).map((f) => {
    const file = join(dir, COMPARE_FILES[f]);
    writeFileSync(file, renderComparison(c, f));
    return file;
  });
}
