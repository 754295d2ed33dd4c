// Tests of the pidfd path (exit-watch.ts) skip where the machine cannot have one, and say why.
import { watchExit } from '../../src/harness/exit-watch.js';
import { readStat } from '../../src/harness/probes/proc-reader.js';
import { forkUnavailableReason } from '../fork/addon-available.js';

/**
 * Why this machine cannot have a pidfd (no addon, a kernel before 5.3, a seccomp profile that refuses it), or
 * null. Anything else that makes watchExit fall back is a failure of the tests below, not a reason to skip them.
 */
export function pidfdUnavailableReason(): string | null {
  const self = watchExit(process.pid, readStat(process.pid)!.starttime);
  self?.close();
  if (self?.how === 'pidfd') return null;
  const why = self?.fallbackReason ?? '';
  return forkUnavailableReason() ?? (/^pidfd_open: (Function not implemented|Operation not permitted)/.test(why) ? why : null);
}
