// A report directory checked before any work is done: created one level at a time, then proven writable.
// (`mkdirSync(p, { recursive: true })` never returns for a path under /proc: mkdir says ENOENT for an existing
// parent, and Node's recursive walk retries forever.)
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.js';

const reason = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** Makes `dir` exist and be writable, or throws UsageError naming `what` and the cause. Returns its absolute path. */
export function ensureWritableDirectory(dir: string, what: string): string {
  const abs = resolve(dir);
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw new UsageError(`${what} ${dir}: ${at} is not a directory`);
      break;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at)
        throw new UsageError(`${what} ${dir}: cannot use ${at} (${reason(err)})`);
      missing.unshift(at);
      at = dirname(at);
    }
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`${what} ${dir}: cannot create ${d} (${reason(err)})`);
    }
  }
  const probe = `${abs}/.handoff-write-probe-${process.pid}`;
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    throw new UsageError(`${what} ${dir}: cannot write there (${reason(err)})`);
  }
  return abs;
}
