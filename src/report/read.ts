// Reads a run's report.json back (for `handoff report <run-dir>`), checking that it is a handoff report of a
// schema this version understands and that every field the renderers read has its type, so re-rendering
// never draws garbage nor dies half-way. Only a regular file of bounded size is read: a path naming a device,
// a FIFO or a directory is refused without reading it (`/dev/zero` would otherwise be read forever).
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../util/errors.js';
import { reportProblems, type Report } from './schema.js';

/** The largest report.json read back. A real one is a few MiB (the timeline dominates: ~300 bytes a sample). */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** Validates a parsed report.json; returns it typed or throws a UsageError naming the first problem. Pure. */
export function asReport(value: unknown, source: string): Report {
  const problems = reportProblems(value);
  if (problems.length) throw new UsageError(`${source} is not a handoff report: ${problems[0]}`);
  return value as Report;
}

const codeOf = (err: unknown): string => ((err as NodeJS.ErrnoException)?.code as string | undefined) ?? (err as Error)?.message ?? String(err);

/** Where a run's report lives: `<dir>/report.json`, or the path itself when it names a regular file. */
export function locateReport(dirOrFile: string): { file: string; runDir: string } {
  let st;
  try {
    st = statSync(dirOrFile);
  } catch (err) {
    const code = codeOf(err);
    throw new UsageError(code === 'ENOENT' || code === 'ENOTDIR' ? `${dirOrFile}: no such run directory` : `${dirOrFile}: cannot read (${code})`);
  }
  if (st.isDirectory()) return { file: join(dirOrFile, 'report.json'), runDir: dirOrFile };
  if (st.isFile()) return { file: dirOrFile, runDir: dirname(dirOrFile) };
  throw new UsageError(`${dirOrFile}: not a run directory (nor a report.json file)`);
}

/** The file's text, if it is a regular file of at most MAX_REPORT_BYTES; read without blocking on a FIFO. */
function readBounded(file: string, runDir: string): string {
  const refuse = (st: { isFile(): boolean; size: number }): void => {
    if (!st.isFile()) throw new UsageError(`${file}: not a regular file`);
    if (st.size > MAX_REPORT_BYTES) throw new UsageError(`${file}: ${st.size} bytes, larger than the ${MAX_REPORT_BYTES / 1024 / 1024} MiB a report may be`);
  };
  // stat before open: opening a device can have effects of its own; fstat after, in case it changed between
  let before;
  try {
    before = statSync(file);
  } catch (err) {
    const code = codeOf(err);
    throw new UsageError(code === 'ENOENT' ? `${file}: no report.json (is ${runDir} a run directory?)` : `${file}: cannot read (${code})`);
  }
  refuse(before);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not wait for one (it is refused just below)
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = codeOf(err);
    throw new UsageError(code === 'ENOENT' ? `${file}: no report.json (is ${runDir} a run directory?)` : `${file}: cannot read (${code})`);
  }
  try {
    refuse(fstatSync(fd));
    // read at most one byte past the limit, whatever the size said (a file may grow, /proc files say 0)
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, MAX_REPORT_BYTES + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        throw new UsageError(`${file}: cannot read (${codeOf(err)})`);
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_REPORT_BYTES) throw new UsageError(`${file}: larger than the ${MAX_REPORT_BYTES / 1024 / 1024} MiB a report may be`);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
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
