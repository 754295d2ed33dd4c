// Everything a run recorded that the checks judge. Plain data (plus firstSeen lookup), so checks are pure
// functions and can be unit-tested on hand-made observations.
import type { PoolDeclaration } from '../../proxy/protocol.js';
import type { LoadOutcome } from '../load/generator.js';
import type { ProcessSnapshot, Sample, ZombieSpan } from '../probes/types.js';

export interface Tolerances {
  /** extra fds a surviving process may hold after drain compared with its baseline */
  fdSlack: number;
  /** error-budget: errors + timeouts + unexpected statuses, as a fraction of requests */
  maxErrorRate: number;
  /** error-budget: absolute floor, so a handful of errors in a tiny run does not fail it */
  maxErrors: number;
  /** no-zombies: how long a descendant may stay a zombie before its parent waits for it */
  zombieBoundMs: number;
}

export interface ShutdownObservation {
  /** SIGTERM sent to the root, ms since run start (null: the target was already gone) */
  signalAtMs: number | null;
  deadlineMs: number;
  /** the root's exit: null when it did not exit within the deadline */
  exit: { code: number | null; signal: string | null; afterMs: number } | null;
  /** the target had already exited before shutdown (it died during the run) */
  diedEarly: boolean;
  /** processes of the tree (or carrying the marker) still alive once the deadline passed or all else exited */
  leftovers: ProcessSnapshot[];
  /** whether the harness had to SIGKILL the group */
  escalated: boolean;
  /** --attach without --shutdown: no SIGTERM was sent, the server was left running (nothing to judge here) */
  skipped?: boolean;
}

export interface RunObservations {
  target: {
    kind: 'reference-proxy' | 'command';
    rootPid: number;
    pool: PoolDeclaration | null;
    strictExit: boolean;
    /** the harness was a child subreaper: orphans were also found by adoption, not by the marker alone */
    adoptsOrphans?: boolean;
    /** --attach: started by someone else, so its exit status is not the harness's to read */
    attached?: boolean;
  };
  /** resting state before load (after the warm-up requests settled) */
  baseline: Sample;
  /**
   * live children at rest: the fewer of before and after the warm-up, so that children the warm-up left
   * behind (a stalled child) do not raise the allowance of children-drained
   */
  baselineChildren: number;
  /** the sample that ended the drain phase (quiet, or the last one at the deadline) */
  afterDrain: Sample;
  /** every descendant seen as a zombie during the run and how long (empty when judging one drain sample) */
  zombieSpans: ZombieSpan[];
  /** distinct descendants seen in any sample (the sample size of the process checks) */
  descendantsSeen: number;
  /**
   * extendedMs: how long past its deadline the drain went on (while the tree still converged); convergingAtEnd:
   * it was still getting closer to rest when it ended (a slow settler, not a stuck one)
   */
  drain: { quiet: boolean; timeToQuietMs: number | null; deadlineMs: number; extendedMs: number; convergingAtEnd: boolean };
  /** marked processes seen outside the tree while the target ran */
  orphansDuringRun: ProcessSnapshot[];
  /** marked processes alive after shutdown (scan of all /proc) */
  orphansAfterShutdown: ProcessSnapshot[];
  shutdown: ShutdownObservation;
  peaks: { children: number; fds: number; rssBytes: number; pssBytes: number | null; closeWait: number; childrenAt: number | null };
  maxChildrenSample: Sample | null;
  load: LoadOutcome[];
  tolerances: Tolerances;
  /** ms since run start when a key (processKey, fd key, `sock:inode`) was first sampled */
  firstSeen: (key: string) => number | null;
}
