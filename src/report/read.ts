// Reads a run's report.json back (for `handoff report <run-dir>`), checking that it is a handoff report of a
// schema this version understands and that every field the renderers read has its type, so re-rendering
// never draws garbage nor dies half-way. Only a regular file of bounded size is read: a path naming a device,
// a FIFO or a directory is refused without opening it (`/dev/zero` would otherwise be read forever).
import { existsSync, readFileSync, type Stats, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../util/errors.js';
import type { Report } from '../model/report.js';
import { reportProblems } from './validate.js';
import { START_FAILURE_FILE } from './start-failure.js';

/** The largest report.json read back. A real one is a few MiB (the timeline dominates: ~300 bytes a sample). */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** Validates a parsed report.json; returns it typed or throws a UsageError naming the first problem. Pure. */
export function asReport(value: unknown, source: string): Report {
  const problems = reportProblems(value);
  if (problems.length) throw new UsageError(`${source} is not a handoff report: ${problems[0]}`);
  return value as Report;
}

const codeOf = (err: unknown): string =>
  ((err as NodeJS.ErrnoException)?.code as string | undefined) ?? (err as Error)?.message ?? String(err);

/** Where a run's report lives: `<dir>/report.json`, or the path itself when it names a regular file. */
export function locateReport(dirOrFile: string): { file: string; runDir: string } {
  let st: Stats;
  try {
    st = statSync(dirOrFile);
  } catch (err) {
    const code = codeOf(err);
    throw new UsageError(
      code === 'ENOENT' || code === 'ENOTDIR' ? `${dirOrFile}: no such run directory` : `${dirOrFile}: cannot read (${code})`,
    );
  }
  if (st.isDirectory()) return { file: join(dirOrFile, 'report.json'), runDir: dirOrFile };
  if (st.isFile()) return { file: dirOrFile, runDir: dirname(dirOrFile) };
  throw new UsageError(`${dirOrFile}: not a run directory (nor a report.json file)`);
}

/** The file's text, if it is a regular file of at most MAX_REPORT_BYTES: a device or a FIFO is refused unread. */
function readBounded(file: string, runDir: string): string {
  const cannot = (err: unknown): UsageError => {
    const code = codeOf(err);
    if (code === 'ENOENT' && existsSync(join(runDir, START_FAILURE_FILE))) {
      return new UsageError(`${runDir}: the target never started (exit 3), so there is no report to render: see its report.md`);
    }
    return new UsageError(code === 'ENOENT' ? `${file}: no report.json (is ${runDir} a run directory?)` : `${file}: cannot read (${code})`);
  };
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    throw cannot(err);
  }
  if (!st.isFile()) throw new UsageError(`${file}: not a regular file`);
  if (st.size > MAX_REPORT_BYTES)
    throw new UsageError(`${file}: ${st.size} bytes, larger than the ${MAX_REPORT_BYTES / 1024 / 1024} MiB a report may be`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw cannot(err);
  }
}

/** Reads and validates the report of a run directory (or of a report.json path); returns it with where it lives. */
export function readReportFile(dirOrFile: string): { report: Report; file: string; runDir: string } {
  const { file, runDir } = locateReport(dirOrFile);
  const text = readBounded(file, runDir);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: invalid JSON (${(err as Error).message})`);
  }
  return { report: asReport(parsed, file), file, runDir };
}

/** Reads `<dir>/report.json` (or the file itself when given a path to a .json file). */
export function readReport(dirOrFile: string): Report {
  return readReportFile(dirOrFile).report;
}
