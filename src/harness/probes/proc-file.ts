// The one way the probes read a /proc file: into one reusable buffer, a vanished or unreadable process read as
// null (isGone), never as an exception. proc-reader.ts (a read per question) and proc-handles.ts (kept-open
// handles) are built on it.
import { closeSync, openSync, readSync } from 'node:fs';

const GONE = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM', 'ENOTDIR', 'EINVAL']);

export function isGone(error: unknown): boolean {
  return typeof error === 'object' && error !== null && GONE.has((error as NodeJS.ErrnoException).code ?? '');
}

// One reusable buffer: readFileSync allocates 64 KiB per call for size-0 /proc files and fstat()s first.
let buffer = Buffer.allocUnsafe(64 * 1024);

/**
 * When a read of a multi-record seq_file (/proc/net/tcp) returns less than this, the kernel hit the end of the
 * table: a read that stops early for lack of room stops within one record (< 200 bytes) of a full page.
 * Saves the final empty read, which costs a whole extra walk of the TCP hash table (~2 ms here).
 */
const SEQ_SHORT_READ = 2048;

/**
 * Whole content of a /proc file, or null when the process is gone or the file unreadable.
 * `single`: the file is generated in one piece (stat, status, cmdline, environ), so a read that does not fill
 * the buffer returned everything; `seq`: a record-by-record table (net/tcp), see SEQ_SHORT_READ.
 */
export function readProcFile(path: string, kind: 'single' | 'seq' | 'any' = 'any'): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
  try {
    let length = 0;
    for (;;) {
      // a seq read is only judged short against ample room (see SEQ_SHORT_READ)
      if (length === buffer.length || (kind === 'seq' && buffer.length - length < 4 * SEQ_SHORT_READ)) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger);
        buffer = bigger;
      }
      const room = buffer.length - length;
      const n = readSync(fd, buffer, length, room, null);
      length += n;
      if (n === 0 || (kind === 'single' && n < room) || (kind === 'seq' && n < SEQ_SHORT_READ)) break;
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** The whole text of an open /proc file, re-read from offset 0 (a seq_file regenerates it): one pread. */
export function preadText(fd: number, encoding: 'utf8' | 'latin1'): string {
  const n = readSync(fd, buffer, 0, buffer.length, 0);
  return buffer.toString(encoding, 0, n);
}
