import type { Evidence } from '../../model/report.js';
import type { Check } from './check.js';
import { EVIDENCE_CAP, fdEvidence, plural } from './evidence.js';
import { formatEndpoint } from '../probes/parse-net-tcp.js';
import { processKey, type FdEntry, type OwnedSocket, type ProcessSnapshot } from '../probes/types.js';

/** socket:[123] and pipe:[9] differ between two equivalent processes; paths and anon inodes do not. */
const shape = (fd: FdEntry): string => (fd.inode !== null ? fd.kind : fd.target);

/**
 * The fd set a surviving process is judged against: its own at baseline, or, for a process born after the
 * baseline (a respawned worker, a new spare) or smaller then than a peer (caught booting), its peer's at
 * baseline — same cmdline at the same depth, the largest such set (the fairest bound). No peer: no fair reference, the process is not judged here
 * (sockets-drained and children-drained still are).
 */
function reference(p: ProcessSnapshot, baseline: ProcessSnapshot[]): { fds: FdEntry[]; own: boolean } | null {
  const same = baseline.find((b) => processKey(b) === processKey(p));
  const peers = baseline.filter((b) => b !== same && b.depth === p.depth && b.cmdline === p.cmdline && b.state !== 'Z');
  const peer = peers.length ? peers.reduce((a, b) => (b.fds.length > a.fds.length ? b : a)) : null;
  // a process caught booting at baseline (a spare that was still starting) is judged by a booted peer's set
  if (same && (!peer || peer.fds.length <= same.fds.length)) return { fds: same.fds, own: true };
  return peer ? { fds: peer.fds, own: false } : null;
}

/**
 * What a leftover socket fd is, from the drain's TCP tables (full samples read them fresh): its TCP row, or — not
 * in either table — a connection already closed or reset whose descriptor the process still holds (a server
 * waiting out a timer on a dead connection), unless it is a UNIX or UDP socket.
 */
export function describeSocketFd(fd: FdEntry, rows: ReadonlyMap<number, OwnedSocket>): { text: string; gone: boolean } | null {
  if (fd.kind !== 'socket' || fd.inode === null) return null;
  const row = rows.get(fd.inode);
  if (row)
    return {
      text: `TCP ${row.state} ${formatEndpoint(row.localAddress, row.localPort)} → ${formatEndpoint(row.remoteAddress, row.remotePort)}`,
      gone: false,
    };
  return { text: 'not in the TCP tables: a connection already closed or reset, still held (or a UNIX/UDP socket)', gone: true };
}

/** fds of p that its reference does not explain. */
function unexplained(p: ProcessSnapshot, ref: { fds: FdEntry[]; own: boolean }): FdEntry[] {
  if (ref.own) {
    const had = new Set(ref.fds.map((f) => `${f.fd}=${f.target}`));
    return p.fds.filter((f) => !had.has(`${f.fd}=${f.target}`));
  }
  const budget = new Map<string, number>();
  for (const f of ref.fds) budget.set(shape(f), (budget.get(shape(f)) ?? 0) + 1);
  return p.fds.filter((f) => {
    const left = budget.get(shape(f)) ?? 0;
    if (left > 0) budget.set(shape(f), left - 1);
    return left === 0;
  });
}

/**
 * The new fds no tolerance excuses: a TCP connection's socket the process still holds after the connection ended
 * (seen in the tree's TCP tables during the run, gone from them now: the parent's forgotten copy), and fds of a
 * shape that repeats (two or more new descriptors of one file, or sockets, or pipes: growth with the work done,
 * where a lazily opened resource is one of a kind). The tolerance is for one-offs.
 */
export function unexcused(extra: FdEntry[], rows: ReadonlyMap<number, OwnedSocket>, seenAsTcp: (inode: number) => boolean): FdEntry[] {
  const shapes = new Map<string, number>();
  for (const f of extra) shapes.set(shape(f), (shapes.get(shape(f)) ?? 0) + 1);
  return extra.filter(
    (f) => (shapes.get(shape(f)) ?? 0) >= 2 || (f.kind === 'socket' && f.inode !== null && !rows.has(f.inode) && seenAsTcp(f.inode)),
  );
}

export const fdsDrained: Check = {
  id: 'fds-drained',
  passesWhen:
    "each surviving process's fd count is back to its baseline (or its peer's): one-off new fds within tolerance, none that grows with the work or holds an ended connection",
  evaluate(run) {
    const slack = run.tolerances.fdSlack;
    const rows = new Map(run.afterDrain.sockets.map((s) => [s.inode, s]));
    const seenAsTcp = (inode: number): boolean => run.firstSeen(`sock:${inode}`) !== null;
    const failing: { p: ProcessSnapshot; base: number; extra: FdEntry[]; strict: number }[] = [];
    const unjudged: ProcessSnapshot[] = [];
    let judged = 0;
    for (const p of run.afterDrain.tree) {
      if (p.state === 'Z') continue;
      const ref = reference(p, run.baseline.tree);
      if (!ref) {
        unjudged.push(p);
        continue;
      }
      judged++;
      const growth = p.fds.length - ref.fds.length;
      if (growth <= 0) continue;
      const extra = unexplained(p, ref);
      const strict = Math.min(growth, unexcused(extra, rows, seenAsTcp).length);
      if (growth > slack || strict > 0) failing.push({ p, base: ref.fds.length, extra, strict });
    }
    const note: Evidence[] = unjudged.length
      ? [
          {
            kind: 'note',
            text: `${plural(unjudged.length, 'process', 'processes')} born after baseline without a peer not judged: ${unjudged
              .slice(0, 5)
              .map((p) => p.pid)
              .join(', ')}`,
          },
        ]
      : [];
    if (failing.length === 0) {
      return {
        id: 'fds-drained',
        pass: true,
        summary: `${plural(judged, 'process', 'processes')} within ${slack} fds of baseline`,
        evidence: note,
      };
    }
    failing.sort((a, b) => b.p.fds.length - b.base - (a.p.fds.length - a.base));
    const evidence: Evidence[] = [];
    let gone = 0;
    for (const { p, base, extra } of failing) {
      const perProcess = Math.max(3, Math.floor(EVIDENCE_CAP / failing.length));
      gone += extra.filter((f) => describeSocketFd(f, rows)?.gone).length;
      for (const f of extra.slice(-perProcess)) {
        const socket = describeSocketFd(f, rows);
        evidence.push(fdEvidence(p, f, run.firstSeen, `${socket ? `${socket.text}; ` : ''}${p.fds.length} fds now vs ${base} at baseline`));
      }
      if (extra.length > perProcess) evidence.push({ kind: 'note', text: `pid ${p.pid}: … and ${extra.length - perProcess} more new fds` });
    }
    const worst = failing[0];
    return {
      id: 'fds-drained',
      pass: false,
      summary:
        `${plural(failing.length, 'process', 'processes')} kept fds: pid ${worst.p.pid} holds ${worst.p.fds.length} vs ${worst.base} at baseline (tolerance ${slack}` +
        (worst.strict > 0
          ? `, which excuses one-offs only: ${worst.strict} of the new fds repeat a shape or hold an ended connection)`
          : ')') +
        (gone
          ? `; ${plural(gone, 'new fd is a socket', 'new fds are sockets')} not in the TCP tables (connections closed or reset but still held, or non-TCP sockets)`
          : ''),
      evidence: [...evidence, ...note],
    };
  },
};
