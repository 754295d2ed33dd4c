// When a process's fd links are read again. Reading every link of every member each sample is the sampler's
// biggest cost, so an adaptive sample keeps a process's last list while its fd count (one fstat of
// /proc/PID/fd on Linux ≥ 6.2) is unchanged and the list is younger than refreshMs (5× that for an idle
// process); a full sample always re-reads. A number closed and reused between two samples is caught by the age.
import { countFds, readFds } from './proc-reader.js';
import type { ProcHandles } from './proc-handles.js';
import type { FdEntry } from './types.js';

/** idle processes' unchanged-count fd lists are re-read this many times less often */
const IDLE_FD_REFRESH_FACTOR = 5;

/** What the cache remembers per process (a field set of the process table's pid entry). */
export interface FdMemo {
  /** fd list of the last link read, with the count seen then and when */
  fds: FdEntry[] | null;
  fdCount: number;
  fdsReadAt: number;
  /** the process used no CPU between its last two stat reads */
  idle: boolean;
  /** fd count taken in sample number countGeneration (saves a second look) */
  count: number | null | undefined;
  countGeneration: number;
}

export class FdCache {
  constructor(
    private readonly refreshMs: number,
    private readonly stats: { fdListReads: number },
  ) {}

  /** The fd list of pid for sample number `generation` at t (kept handles count through an open fd). */
  fdsOf(pid: number, memo: FdMemo, t: number, full: boolean, generation: number, handles: ProcHandles | null): FdEntry[] {
    // a process that used no CPU since its last stat had little chance to swap one fd for another
    const refreshAfter = memo.idle ? IDLE_FD_REFRESH_FACTOR * this.refreshMs : this.refreshMs;
    const fresh = memo.fds !== null && t - memo.fdsReadAt < refreshAfter;
    if (!full && fresh) {
      const count = memo.countGeneration === generation ? memo.count : handles ? handles.fdCount(pid) : countFds(pid);
      if (count === null) return memo.fds!; // gone since its stat was read: last known list
      if (count === memo.fdCount) return memo.fds!;
    }
    const fds = readFds(pid) ?? memo.fds ?? [];
    this.stats.fdListReads++;
    memo.fds = fds;
    memo.fdCount = fds.length;
    memo.fdsReadAt = t;
    return fds;
  }
}
