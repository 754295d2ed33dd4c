// Linux hands out pids cyclically: each new process gets the next free number after the last one
// allocated, wrapping at pid_max. So between two readings of the last allocated pid, every process created
// has a pid in the cyclic range (previous, current]. A pid outside that range that was alive at the first
// reading and is listed at the second is the same process — unless pid_max processes were created in
// between, which one sampling interval cannot hold.

/** Whether `pid` may have been allocated after `previousLast` up to `currentLast` (both from /proc/loadavg). */
export function mayBeNewPid(pid: number, previousLast: number | null, currentLast: number | null): boolean {
  if (previousLast === null || currentLast === null) return true; // cannot tell: assume anything is new
  if (previousLast === currentLast) return false; // nothing was allocated
  if (previousLast < currentLast) return pid > previousLast && pid <= currentLast;
  return pid > previousLast || pid <= currentLast; // wrapped past pid_max
}
