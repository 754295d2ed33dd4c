// `handoff report <run-dir>`: re-renders md/html/junit from the run's report.json. It leaves
// report.json (byte for byte what the run wrote), the `latest` pointer and the CI step summary alone:
// the run already did those.
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readReport } from './read.js';
import { parseFormats } from './formats.js';
import { renderReport, REPORT_FILES } from './write.js';

/** Re-renders the selected formats (default md, html, junit) into the run directory; returns the paths. */
export function rerender(dirOrFile: string, formatList?: string): string[] {
  const report = readReport(dirOrFile);
  const runDir = statSync(dirOrFile).isDirectory() ? dirOrFile : dirname(dirOrFile);
  const formats = parseFormats(formatList).filter((f) => f !== 'json');
  return formats.map((format) => {
    const file = join(runDir, REPORT_FILES[format]);
    writeFileSync(file, renderReport(report, format));
    return file;
  });
}

export async function rerenderCommand(dir: string, flags: Record<string, unknown>): Promise<number> {
  for (const file of rerender(dir, flags.format as string | undefined)) process.stdout.write(`${file}\n`);
  return 0;
}
