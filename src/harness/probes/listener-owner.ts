// Whose listening socket answers on a port: readiness of a command target must not be fooled by another
// process that bound the port the harness picked for it (it was free when picked, then released for the
// target to bind: a race on a busy machine). A connect() alone would then load somebody else's server.
import type { FdEntry, ProcStat, TcpRow } from './types.js';
import { listPids, readFds, readNetTcp, readStat } from './proc-reader.js';

/** Inodes of the LISTEN sockets on `port` (any local address). Pure. */
export function listenerInodes(rows: readonly TcpRow[], port: number): Set<number> {
  return new Set(rows.filter((r) => r.state === 'LISTEN' && r.localPort === port).map((r) => r.inode));
}

/** Whether any of the fds is one of the sockets. Pure. */
export function holdsAnyOf(fds: readonly FdEntry[], inodes: ReadonlySet<number>): boolean {
  return fds.some((f) => f.kind === 'socket' && f.inode !== null && inodes.has(f.inode));
}

/**
 * Whether the socket listening on `port` belongs to the target, as `isTargets` defines it (its process group,
 * its run marker, its tree). True too when no LISTEN row is visible (nothing contradicts the connect).
 */
export function listenerBelongsToTarget(port: number, isTargets: (pid: number, stat: ProcStat) => boolean): boolean {
  const inodes = listenerInodes(readNetTcp('self'), port);
  if (inodes.size === 0) return true;
  for (const pid of listPids()) {
    const stat = readStat(pid);
    if (stat && isTargets(pid, stat) && holdsAnyOf(readFds(pid) ?? [], inodes)) return true;
  }
  return false;
}
