// --nofile (the target's descriptor limit, set with prlimit): checked before anything starts, so a value the
// target cannot get is a usage error (2), not a target that "failed to start" (3).
import { readFileSync } from 'node:fs';
import { UsageError } from '../util/errors.js';

/** Node (the reference proxy) aborts at start below about 20 descriptors; 32 leaves it room to serve. */
export const MIN_REFERENCE_PROXY_NOFILE = 32;

/** The hard "Max open files" limit from the text of /proc/<pid>/limits, or null ("unlimited", unreadable). Pure. */
export function parseHardNofile(limitsText: string): number | null {
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(limitsText);
  return m && /^\d+$/.test(m[1]) ? Number(m[1]) : null;
}

function ownHardNofile(): number | null {
  try {
    return parseHardNofile(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Throws UsageError when the target could not run under `nofile`: above the hard limit this process can grant
 * (raising it needs CAP_SYS_RESOURCE; prlimit then fails with EPERM), or too low for the reference proxy.
 */
export function checkNofile(nofile: number | undefined, referenceProxy: boolean, hardLimit = ownHardNofile()): void {
  if (nofile === undefined) return;
  if (referenceProxy && nofile < MIN_REFERENCE_PROXY_NOFILE) {
    throw new UsageError(`--nofile ${nofile} is too low for the reference proxy (at least ${MIN_REFERENCE_PROXY_NOFILE}: Node itself needs about 20)`);
  }
  if (hardLimit !== null && nofile > hardLimit) {
    throw new UsageError(`--nofile ${nofile} exceeds the hard descriptor limit ${hardLimit} of this process (ulimit -Hn)`);
  }
}
