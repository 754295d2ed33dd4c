// The process table's scan samples (process-table.ts's header): /proc listed (unless no pid was allocated since
// the previous sample), stat read for members, orphans and new pids, an idle member's stat kept while its fd
// count stands, and pids no longer listed forgotten.
import { mayBeNewPid } from './pid-allocation.js';
import { listPids, readLastPid, readStat } from './proc-reader.js';
import { keepStat, newInfo, type PidCache } from './pid-cache.js';
import { processKey, type ProcStat } from './types.js';

/**
 * stat of every listed pid except settled outsiders and the harness itself; forgets pids no longer listed.
 * On adaptive samples, an idle member (no CPU ticks between its last two reads, same non-zero fd count)
 * keeps its last stat for up to statRefreshMs: exiting releases the fds first (a zombie has 0), so a
 * process turning into a zombie is re-read at once, and so is any process whose parent left or died.
 */
export function readChangingStats(
  cache: PidCache,
  generation: number,
  t: number,
  full: boolean,
  statRefreshMs: number,
): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  const reused: number[] = [];
  const lastPid = readLastPid();
  const previousLastPid = cache.lastPid;
  cache.lastPid = lastPid;
  // no process created since the previous sample: the previous listing still holds every live pid (the
  // vanished ones fail their reads), so skip listing /proc
  const noneCreated = !full && lastPid !== null && lastPid === previousLastPid;
  const pids = noneCreated ? cache.listing : listPids();
  cache.listing = pids;
  const previousListing = cache.previousListing;
  cache.previousListing = generation;
  cache.counters.listings++;
  for (const pid of pids) {
    if (pid === cache.selfPid) continue;
    let info = cache.pids.get(pid);
    if (info && info.listed >= previousListing && info.settled && !mayBeNewPid(pid, previousLastPid, lastPid)) {
      info.listed = generation;
      continue;
    }
    // members and orphans are read every sample: through kept handles while the timer runs
    // a kept handle stays with its process: a new process under the same pid fails the handle's reads
    const watched = info !== undefined && (info.wasInTree || info.orphan) && info.listed >= previousListing;
    if (watched && !full && cache.handles && info!.stat && info!.idle && t - info!.statAt < statRefreshMs) {
      const count = cache.handles.fdCount(pid);
      if (count === null) continue; // vanished
      info!.countGeneration = generation;
      info!.count = count;
      if (count !== undefined && count > 0 && count === info!.fdCount) {
        info!.listed = generation;
        stats.set(pid, info!.stat);
        reused.push(pid);
        continue;
      }
    }
    const stat = watched && cache.handles ? cache.handles.stat(pid) : readStat(pid);
    cache.counters.statReads++;
    if (!stat) continue; // vanished
    const key = processKey(stat);
    if (!info || info.key !== key || info.listed < previousListing) {
      cache.handles?.forget(pid);
      info = newInfo(key, stat, generation);
      cache.pids.set(pid, info);
    }
    keepStat(info, stat, t);
    info.readGeneration = generation;
    info.listed = generation;
    stats.set(pid, stat);
  }
  for (const pid of reused) {
    const ppid = stats.get(pid)!.ppid;
    if (ppid === cache.selfPid) continue;
    const parent = stats.get(ppid);
    if (parent && parent.state !== 'Z') continue;
    const stat = cache.handles!.stat(pid);
    cache.counters.statReads++;
    if (stat) keepStat(cache.pids.get(pid)!, stat, t);
    if (stat) stats.set(pid, stat);
    else stats.delete(pid);
  }
  for (const [pid, info] of cache.pids) {
    if (info.listed === generation) continue;
    cache.pids.delete(pid);
    cache.handles?.forget(pid);
  }
  return stats;
}
