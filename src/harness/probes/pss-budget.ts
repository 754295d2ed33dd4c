// The tree's proportional set size (/proc/PID/smaps_rollup Pss: shared pages counted once, which a sum of RSS
// over a forking server's tree is not), read within a CPU budget. A read costs ~0.5 ms per Node process (the
// kernel walks its page tables) and the load generators share this thread: it is due when the last read is
// older than (its CPU cost / budget), at most MAX_PSS_INTERVAL_MS; an adaptive sample reads a slice of at most
// PSS_SLICE_MS, least recently read members first, a full sample every member. The tree's PSS is the sum of each
// live member's latest reading: a member born since the last read is not in it yet (short-lived children rarely are).
import { performance } from 'node:perf_hooks';
import { readPssBytes } from './proc-reader.js';
import type { ProcessSnapshot } from './types.js';

/** an adaptive sample stops reading smaps_rollup after this long (the rest waits for the next slice) */
const PSS_SLICE_MS = 2;
/** PSS reads are never further apart than this */
const MAX_PSS_INTERVAL_MS = 5_000;

export class PssBudget {
  /** last tree PSS (bytes; null before the first read or when unreadable), carried between reads */
  private total: number | null = null;
  /** latest reading per member: process key (pid reuse) and when */
  private readonly byPid = new Map<number, { key: string; bytes: number; t: number }>();
  private nextAt = 0;
  private costMs: number | null = null;

  constructor(
    /** share of wall time samples may spend reading PSS */
    private readonly budget: number,
    private readonly stats: { pssReads: number; pssCpuMs: number },
  ) {}

  get bytes(): number | null {
    return this.total;
  }

  due(t: number): boolean {
    return t >= this.nextAt;
  }

  /**
   * Read members' Pss (all of them on a full sample, a slice otherwise), then sum the latest reading of each live
   * member (a zombie has no memory left); null when no member has been read.
   */
  read(tree: ProcessSnapshot[], t: number, full: boolean, keyOf: (p: ProcessSnapshot) => string): void {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const live = tree.filter((p) => p.state !== 'Z');
    const lastRead = (p: ProcessSnapshot): number => this.byPid.get(p.pid)?.t ?? Number.NEGATIVE_INFINITY;
    const order = full ? live : [...live].sort((a, b) => lastRead(a) - lastRead(b));
    for (const p of order) {
      if (!full && performance.now() - started >= PSS_SLICE_MS) break;
      const bytes = readPssBytes(p.pid);
      // null: exited since its stat was read, or not ours to read
      if (bytes !== null) this.byPid.set(p.pid, { key: keyOf(p), bytes, t });
    }
    let total = 0;
    let known = 0;
    const members = new Set<number>();
    for (const p of live) {
      members.add(p.pid);
      const reading = this.byPid.get(p.pid);
      if (reading === undefined || reading.key !== keyOf(p)) continue; // a reused pid: not this process's
      total += reading.bytes;
      known++;
    }
    for (const pid of this.byPid.keys()) if (!members.has(pid)) this.byPid.delete(pid);
    this.total = known > 0 ? total : null;
    const cpu = process.cpuUsage(cpuBefore);
    const cost = (cpu.user + cpu.system) / 1000;
    this.stats.pssReads++;
    this.stats.pssCpuMs += cost;
    this.costMs = this.costMs === null ? cost : 0.7 * this.costMs + 0.3 * cost;
    this.nextAt = t + Math.min(MAX_PSS_INTERVAL_MS, this.costMs / this.budget);
  }
}
