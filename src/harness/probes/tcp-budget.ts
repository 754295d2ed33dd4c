// The TCP sockets the tree owns, matched by inode against /proc/net/tcp{,6}, read within a CPU budget.
// Reading a table walks the whole kernel TCP hash (262144 buckets here: 2–5 ms per table however few sockets
// exist) and formats every row of the namespace (20k TIME_WAIT rows cost ~50 ms of CPU), so an adaptive sample
// re-reads them only when the last read is older than (its CPU cost / budget), at most MAX_NET_AGE_MS; in between,
// states are carried over from the last read (Sample.netT says when) and sockets newer than it are not listed yet.
// Full samples always read fresh tables.
import { performance } from 'node:perf_hooks';
import { readTcpTable, type TcpTable } from './proc-reader.js';
import type { FdEntry, OwnedSocket, ProcessSnapshot, TcpRow } from './types.js';

/** adaptive samples never carry socket states older than this, whatever the budget says */
const MAX_NET_AGE_MS = 10_000;

type Holder = { pid: number; fd: number };

export class TcpBudget {
  /** last table read: rows by inode, when (t), and when the next adaptive read is due */
  private netRows = new Map<number, TcpRow>();
  private netT: number | null = null;
  private nextNetAt = 0;
  private netCostMs: number | null = null;
  private primaryTable: TcpTable = 'tcp';
  private nonTcpInodes = new Set<number>();
  /** socket inodes the tree held at the last table read, the current holders, and whether the two differ */
  private netInodes = new Set<number>();
  private holders = new Map<number, Holder[]>();
  private inodesMoved = true;
  private previousFdLists: FdEntry[][] = [];
  private previousSockets: OwnedSocket[] = [];

  constructor(
    /** share of wall time adaptive samples may spend reading the tables */
    private readonly budget: number,
    private readonly stats: { netReads: number; netMs: number; netCpuMs: number },
  ) {}

  /** t of the last table read, or null before the first */
  get readAt(): number | null {
    return this.netT;
  }

  /**
   * One entry per (pid, fd) of the tree holding a TCP socket: a socket shared by two processes appears twice.
   * Sockets are matched by inode against the TCP tables (fresh on full samples, by budget on adaptive ones).
   */
  ownedSockets(tree: ProcessSnapshot[], t: number, full: boolean): OwnedSocket[] {
    // nothing to redo when no fd list was re-read, the tree kept its members and the tables were not re-read
    const fdLists = tree.map((p) => p.fds);
    const unchanged = fdLists.length === this.previousFdLists.length && fdLists.every((fds, i) => fds === this.previousFdLists[i]);
    this.previousFdLists = fdLists;
    if (!unchanged) {
      const holders = new Map<number, Holder[]>();
      for (const p of tree) {
        for (const fd of p.fds) {
          if (fd.kind !== 'socket' || fd.inode === null) continue;
          const list = holders.get(fd.inode);
          if (list) list.push({ pid: p.pid, fd: fd.fd });
          else holders.set(fd.inode, [{ pid: p.pid, fd: fd.fd }]);
        }
      }
      this.holders = holders;
      this.inodesMoved = holders.size !== this.netInodes.size || [...holders.keys()].some((inode) => !this.netInodes.has(inode));
    }
    // adaptive samples re-read the tables within the budget when the owned sockets changed since the last
    // read; an unchanged set only once the last read is MAX_NET_AGE_MS old (a state change of a socket that
    // stays owned, e.g. ESTABLISHED → CLOSE_WAIT, shows in the timeline within that bound; full samples
    // always read fresh tables)
    const due = t >= this.nextNetAt && (this.inodesMoved || this.netT === null || t - this.netT >= MAX_NET_AGE_MS);
    const readTables = full || due;
    if (unchanged && !readTables) return this.previousSockets;

    const holders = this.holders;
    if (holders.size > 0 && readTables) this.readTables(tree, holders, t, full);
    const sockets: OwnedSocket[] = [];
    for (const [inode, list] of holders) {
      const row = this.netRows.get(inode);
      if (row) for (const holder of list) sockets.push({ ...row, ...holder });
    }
    this.previousSockets = sockets;
    return sockets;
  }

  /**
   * Each table read walks the kernel's whole TCP hash, so an adaptive sample reads the table that held the
   * tree's sockets last time first, and the other only when some owned socket inode is still unaccounted
   * for. Inodes found in neither table (Unix sockets such as Node's IPC channel, UDP) are remembered as
   * non-TCP; full samples read both tables and re-learn that set.
   */
  private readTables(tree: ProcessSnapshot[], holders: Map<number, unknown>, t: number, full: boolean): void {
    const root = tree[0];
    const netnsPid = root && root.depth === 0 ? root.pid : 'self';
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const wanted = new Set(holders.keys());
    const rows = new Map<number, TcpRow>();
    const order: TcpTable[] = this.primaryTable === 'tcp' ? ['tcp', 'tcp6'] : ['tcp6', 'tcp'];
    const hits = { tcp: 0, tcp6: 0 };
    for (const [i, table] of order.entries()) {
      // the primary table is always read (a socket caught before connect() can be wrongly taken as non-TCP)
      const pending = i === 0 || [...wanted].some((inode) => !rows.has(inode) && (full || !this.nonTcpInodes.has(inode)));
      if (!pending) break;
      for (const row of readTcpTable(netnsPid, table, wanted)) {
        rows.set(row.inode, row);
        hits[table]++;
      }
      this.stats.netReads++;
    }
    if (hits.tcp !== hits.tcp6) this.primaryTable = hits.tcp > hits.tcp6 ? 'tcp' : 'tcp6';
    // owned sockets in neither table; rebuilt from the current owners, so closed ones are forgotten
    this.nonTcpInodes = new Set([...wanted].filter((inode) => !rows.has(inode)));
    this.netInodes = wanted;
    this.inodesMoved = false;
    this.stats.netMs += performance.now() - started;
    this.netRows = rows;
    this.netT = t;
    // the budget is CPU (wall time of a read on a loaded machine is mostly waiting for a core), smoothed
    const cpu = process.cpuUsage(cpuBefore);
    const cost = (cpu.user + cpu.system) / 1000;
    this.stats.netCpuMs += cost;
    this.netCostMs = this.netCostMs === null ? cost : 0.7 * this.netCostMs + 0.3 * cost;
    this.nextNetAt = t + Math.min(MAX_NET_AGE_MS, this.netCostMs / this.budget);
  }
}
