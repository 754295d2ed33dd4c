// --nofile (the target's descriptor limit, set with prlimit): checked before anything starts, so a value the
// target cannot get is a usage error (2), not a target that "failed to start" (3).
import { UsageError } from '../util/errors.js';
import { ownNofileLimits, parseNofileLimits } from '../util/rlimit.js';

/** Node (the reference proxy) aborts at start below about 20 descriptors; 32 leaves it room to serve. */
export const MIN_REFERENCE_PROXY_NOFILE = 32;

/** The hard "Max open files" limit from the text of /proc/<pid>/limits, or null ("unlimited", unreadable). Pure. */
export const parseHardNofile = (limitsText: string): number | null => parseNofileLimits(limitsText).hard;

/**
 * Throws UsageError when the target could not run under `nofile`: above the hard limit this process can grant
 * (raising it needs CAP_SYS_RESOURCE; prlimit then fails with EPERM), or too low for the reference proxy.
 */
export function checkNofile(nofile: number | undefined, referenceProxy: boolean, hardLimit = ownNofileLimits().hard): void {
  if (nofile === undefined) return;
  if (referenceProxy && nofile < MIN_REFERENCE_PROXY_NOFILE) {
    throw new UsageError(
      `--nofile ${nofile} is too low for the reference proxy (at least ${MIN_REFERENCE_PROXY_NOFILE}: Node itself needs about 20)`,
    );
  }
  if (hardLimit !== null && nofile > hardLimit) {
    throw new UsageError(`--nofile ${nofile} exceeds the hard descriptor limit ${hardLimit} of this process (ulimit -Hn)`);
  }
}
