// `handoff report <run-dir>`: re-renders md/html/junit from the run's report.json. It leaves
// report.json (byte for byte what the run wrote), the `latest` pointer and the CI step summary alone:
// the run already did those.
//
// All or nothing as far as it can be: the report is validated and every format rendered in memory before
// any file is touched, and every destination is opened (and checked to be a regular file) before any is
// truncated, so a bad report, a directory in the way or a read-only run directory leaves the old files as
// they were. Every failure is a UsageError: one line, exit 2.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';
import { readReportFile } from './read.js';
import { parseFormats } from './formats.js';
import { renderReport, REPORT_FILES } from './write.js';

/** `EISDIR: illegal operation on a directory, open '/x/report.md'` → `EISDIR: illegal operation on a directory`. */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return String((e as Error)?.message ?? err);
  const text = (e.message ?? '').replace(/, \w+( '.*)?$/s, '');
  return text.startsWith(e.code) ? text : e.code;
}

const cannotWrite = (file: string, err: unknown): UsageError => new UsageError(`${file}: cannot write (${reason(err)})`);

interface Destination {
  file: string;
  text: string;
  fd: number;
  created: boolean;
}

/** Opens every destination (created if missing, not truncated) and checks each is a regular file. */
function openAll(outputs: { file: string; text: string }[]): Destination[] {
  const opened: Destination[] = [];
  try {
    for (const { file, text } of outputs) {
      const created = !existsSync(file);
      let fd: number;
      try {
        // O_NONBLOCK: a FIFO in the way is an error (ENXIO without a reader), never a wait
        fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK, 0o666);
      } catch (err) {
        throw cannotWrite(file, err);
      }
      opened.push({ file, text, fd, created });
      if (!fstatSync(fd).isFile()) throw new UsageError(`${file}: cannot write (not a regular file)`);
    }
    return opened;
  } catch (err) {
    for (const d of opened) {
      closeSync(d.fd);
      if (d.created) {
        try {
          unlinkSync(d.file);
        } catch {
          // best effort: an empty file left behind is harmless
        }
      }
    }
    throw err;
  }
}

/** Re-renders the selected formats (default md, html, junit) into the run directory; returns the paths. */
export function rerender(dirOrFile: string, formatList?: string): string[] {
  const formats = parseFormats(formatList).filter((f) => f !== 'json');
  const { report, runDir } = readReportFile(dirOrFile);
  const outputs = formats.map((format) => ({ file: join(runDir, REPORT_FILES[format]), text: renderReport(report, format) }));
  const destinations = openAll(outputs);
  let error: UsageError | null = null;
  for (const d of destinations) {
    if (!error) {
      try {
        ftruncateSync(d.fd, 0);
        const bytes = Buffer.from(d.text, 'utf8');
        for (let off = 0; off < bytes.length; ) off += writeSync(d.fd, bytes, off, bytes.length - off, off);
      } catch (err) {
        error = cannotWrite(d.file, err);
      }
    }
    try {
      closeSync(d.fd);
    } catch (err) {
      // a close can report a deferred write error (NFS, quotas): that is a failed write too
      error ??= cannotWrite(d.file, err);
    }
  }
  if (error) throw error;
  return outputs.map((o) => o.file);
}

export async function rerenderCommand(dir: string, flags: Record<string, unknown>): Promise<number> {
  for (const file of rerender(dir, flags.format as string | undefined)) process.stdout.write(`${file}\n`);
  return 0;
}
