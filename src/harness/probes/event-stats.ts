// The process table's event samples (process-table.ts's header: with process events, an adaptive sample reads
// stat only of the processes that changed): the queued events drained into the pids they name, and the stats of
// an event sample, carried or re-read, with the periodic /proc listing when it is due.
import { mayBeNewPid } from './pid-allocation.js';
import { listPids, readLastPid, readStat } from './proc-reader.js';
import { EV_EXIT, EV_FORK, type ProcEvents } from './proc-events.js';
import { keepStat, newInfo, type PidCache, type PidInfo } from './pid-cache.js';
import { processKey, type ProcStat } from './types.js';

/** pids named by a sample's events; forks as (child, parent) pairs in the order they happened */
export interface Touched {
  pids: Set<number>;
  forks: number[];
}

/**
 * event samples look at an idle process's activity (its CPU clock, ~1 µs; or its schedstat, ~2 µs) every this
 * many samples: a descriptor it opens is seen within this many samples (300 ms at 10 Hz)
 */
export const IDLE_LOOK_EVERY = 3;

/** a process that got no CPU has its stat re-read this many times less often */
const IDLE_STAT_FACTOR = 5;

/** The pids the queued events name (forks, execs and exits of any process), or null: some were lost. */
export function drainEvents(events: ProcEvents, cache: PidCache): Touched | null {
  const touched: Touched = { pids: new Set<number>(), forks: [] };
  const complete = events.drain((kind, pid, parent) => {
    cache.counters.events++;
    if (kind === EV_FORK) {
      touched.forks.push(pid, parent);
      touched.pids.add(parent);
      return;
    }
    touched.pids.add(pid);
    if (kind === EV_EXIT) touched.pids.add(parent);
    if (kind === EV_EXIT) {
      const info = cache.pids.get(pid);
      if (info) info.exiting = true;
    }
  });
  if (!complete) {
    cache.counters.lostEvents++;
    return null;
  }
  return touched;
}

/**
 * Event samples: the last stat of every watched process (tree members and orphans), re-read only for those
 * that changed (see the header); new processes are those forked by a watched one. With `list`, /proc is
 * listed as well (the periodic check): unknown pids are read and classified as in a scan.
 */
export function readEventStats(
  cache: PidCache,
  generation: number,
  t: number,
  touched: Touched,
  list: boolean,
  statRefreshMs: number,
): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  const handles = cache.handles!;
  const read = (pid: number, info: PidInfo | undefined): ProcStat | null => {
    cache.counters.statReads++;
    const stat = cache.isWatched(info) ? handles.stat(pid) : readStat(pid);
    if (!stat) return null;
    const key = processKey(stat);
    if (!info || info.key !== key) {
      handles.forget(pid);
      info = newInfo(key, stat, generation);
      cache.pids.set(pid, info);
    }
    keepStat(info, stat, t);
    info.readGeneration = generation;
    info.listed = generation;
    if (info.exiting && stat.state === 'Z') info.exiting = false;
    stats.set(pid, stat);
    return stat;
  };
  const refreshMs = statRefreshMs;
  const carryOrRead = (pid: number, info: PidInfo): void => {
    const stat = info.stat;
    let due = touched.pids.has(pid) || info.exiting || stat === null || stat.state === 'Z' || !info.idle;
    // a process that got no CPU since the last look changed nothing: its activity (ProcHandles.activity) says
    // so every IDLE_LOOK_EVERY samples for one cheap question, and its stat is refreshed every
    // IDLE_STAT_FACTOR × refreshMs (RSS, state); one that cannot be looked at (multi-threaded without the
    // addon's CPU clock) is re-read every refreshMs (the bound for its fds)
    let ran = true;
    const look = due ? null : handles.lookFor(stat!.numThreads);
    // looked at every IDLE_LOOK_EVERY samples, spread over the samples by pid
    if (look && (pid + generation) % IDLE_LOOK_EVERY !== 0) {
      info.listed = generation;
      stats.set(pid, stat!);
      return;
    }
    if (look) {
      const runs = handles.activity(pid, look);
      if (runs === null)
        due = true; // gone (or reaped): the read below says which
      else if (runs !== undefined) {
        // first look since a read: read once more (the look comes before that read, so nothing falls between)
        ran = info.runs === null || runs !== info.runs;
        info.runs = runs;
        due = ran || t - info.statAt >= IDLE_STAT_FACTOR * refreshMs;
      } else due = t - info.statAt >= refreshMs;
    } else if (!due) due = t - info.statAt >= refreshMs;
    else info.runs = null;
    if (!due) {
      info.listed = generation;
      stats.set(pid, stat!);
      return;
    }
    const before = info.readGeneration;
    if (read(pid, info) === null) {
      cache.forget(pid);
      return;
    }
    // it did not run: only the stat was refreshed, its fd list stands (no fd count, no list re-read)
    if (!ran) info.readGeneration = before;
  };
  if (list) {
    cache.counters.listings++;
    const lastPid = readLastPid();
    const previousLastPid = cache.lastPid;
    cache.lastPid = lastPid;
    const pids = lastPid !== null && lastPid === previousLastPid ? cache.listing : listPids();
    cache.listing = pids;
    const previousListing = cache.previousListing;
    cache.previousListing = generation;
    for (const pid of pids) {
      if (pid === cache.selfPid) continue;
      const info = cache.pids.get(pid);
      if (cache.isWatched(info)) {
        carryOrRead(pid, info!);
        continue;
      }
      if (info?.settled && info.listed >= previousListing && !mayBeNewPid(pid, previousLastPid, lastPid)) {
        info.listed = generation;
        continue;
      }
      read(pid, info && info.listed >= previousListing ? info : undefined);
    }
    for (const [pid, info] of cache.pids) if (info.listed !== generation) cache.forget(pid);
  } else {
    for (const [pid, info] of cache.pids) {
      if (cache.isWatched(info)) carryOrRead(pid, info);
    }
    // processes forked by a watched one, or by one forked since (events come in order: a parent's fork
    // before its child's); the machine's other forks are left to the periodic listing
    const forks = touched.forks;
    const born = new Set<number>();
    for (let i = 0; i < forks.length; i += 2) {
      const pid = forks[i]!;
      const parent = forks[i + 1]!;
      if (pid === cache.selfPid || stats.has(pid)) continue;
      if (!born.has(parent) && !cache.isWatched(cache.pids.get(parent))) continue;
      born.add(pid);
      read(pid, undefined);
    }
  }
  // a live process whose parent is gone or a zombie is being reparented: read it again (its new ppid)
  for (const [pid, stat] of stats) {
    if (stat.ppid === cache.selfPid || stat.state === 'Z') continue;
    const info = cache.pids.get(pid)!;
    if (info.readGeneration === generation) continue;
    const parent = stats.get(stat.ppid);
    if (parent && parent.state !== 'Z') continue;
    if (read(pid, info) === null) {
      stats.delete(pid);
      cache.forget(pid);
    }
  }
  return stats;
}
