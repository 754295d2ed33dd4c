// Who still holds a connection open: its target-side TCP socket (local port = the target's, remote port = the
// client's) and the processes of the tree with a descriptor on it. A connection that sees no EOF after its
// response is held by someone other than the process that answered — the parent that forgot its copy — and
// naming that pid and fd is the evidence a handoff-eof failure needs.
import { readFds, readNetTcp } from './proc-reader.js';
import type { FdEntry, OwnedSocket, ProcessSnapshot, TcpRow } from './types.js';

/** Pure: the target side of the connection from `clientPort`, joined with the descriptors that point at it. */
export function holdersOf(
  rows: TcpRow[],
  socketFdsByPid: ReadonlyMap<number, FdEntry[]>,
  targetPort: number,
  clientPort: number,
): OwnedSocket[] {
  const targetSide = rows.filter((r) => r.localPort === targetPort && r.remotePort === clientPort);
  const holders: OwnedSocket[] = [];
  for (const row of targetSide) {
    for (const [pid, fds] of socketFdsByPid) {
      for (const f of fds) if (f.inode === row.inode) holders.push({ ...row, pid, fd: f.fd });
    }
  }
  return holders;
}

/**
 * Reads the tree's descriptors afresh (a sampled tree may predate the connection), then the TCP tables of the
 * root's network namespace, keeping only rows some process of the tree holds.
 */
export function findSocketHolders(tree: ProcessSnapshot[], targetPort: number, clientPort: number): OwnedSocket[] {
  const socketFdsByPid = new Map<number, FdEntry[]>();
  const inodes = new Set<number>();
  for (const p of tree) {
    const sockets = (readableFds(p.pid) ?? []).filter((f) => f.kind === 'socket' && f.inode !== null);
    socketFdsByPid.set(p.pid, sockets);
    for (const f of sockets) inodes.add(f.inode!);
  }
  if (inodes.size === 0) return [];
  const root = tree.find((p) => p.depth === 0) ?? tree[0];
  return holdersOf(readNetTcp(root.pid, inodes), socketFdsByPid, targetPort, clientPort);
}

/** Evidence only: a process whose fds this user may not read is left out, not an error. */
function readableFds(pid: number): FdEntry[] | null {
  try {
    return readFds(pid);
  } catch {
    return null;
  }
}
