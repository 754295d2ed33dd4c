// What a run's samples leave as evidence beyond the timeline: when each process, fd (by number and target) and
// socket was first seen, every descendant seen as a zombie (first and last sample in state Z), the distinct
// descendants seen, and the orphans seen. Kept for the whole run; fed one sample at a time by the sampler.
import { processKey, type FdEntry, type OwnedSocket, type ProcessSnapshot, type Sample, type TreeDelta, type ZombieSpan } from './types.js';

export class SampleEvidence {
  readonly firstSeenAt = new Map<string, number>();
  readonly orphanSnapshots = new Map<string, ProcessSnapshot>();
  /** every descendant seen as a zombie: from its first to its last sample in state Z (the zombie bound judges it) */
  readonly zombieSpanByKey = new Map<string, ZombieSpan>();
  readonly descendantKeys = new Set<string>();
  /** fd lists already counted into first-seen (an unchanged list is the same array from sample to sample) */
  private readonly recordedFdLists = new WeakSet<FdEntry[]>();
  /** recordDelta: the zombies of the tree now (their spans end at every sample), and the last sockets array seen */
  private readonly zombiesNow = new Map<string, ProcessSnapshot>();
  private lastSockets: readonly OwnedSocket[] | null = null;

  /**
   * The same evidence as record(), from the tree's delta since the previous sample (the sampler feeds every
   * sample through one of the two, never both): work in proportion to what changed, the zombies and the orphans.
   */
  recordDelta(sample: Sample, delta: TreeDelta, keyOf: (p: ProcessSnapshot) => string): void {
    const { t, orphans, sockets } = sample;
    const seen = this.firstSeenAt;
    for (const p of delta.removed) this.zombiesNow.delete(keyOf(p));
    const joined = (p: ProcessSnapshot): void => {
      const key = keyOf(p);
      if (!seen.has(key)) seen.set(key, t);
      if (p.depth >= 1) {
        this.descendantKeys.add(key);
        if (p.state === 'Z') this.zombiesNow.set(key, p);
        else this.zombiesNow.delete(key);
      }
      this.recordFds(key, p.fds, t);
    };
    for (const p of delta.added) joined(p);
    for (const { after } of delta.changed) joined(after);
    for (const [key, p] of this.zombiesNow) {
      const span = this.zombieSpanByKey.get(key);
      if (span) {
        span.lastMs = t;
        span.process = p;
      } else this.zombieSpanByKey.set(key, { process: p, firstMs: t, lastMs: t });
    }
    this.recordOrphans(orphans, t);
    if (sockets !== this.lastSockets) this.recordSockets(sockets, t);
    this.lastSockets = sockets;
  }

  private recordFds(key: string, fds: FdEntry[], t: number): void {
    if (this.recordedFdLists.has(fds)) return;
    this.recordedFdLists.add(fds);
    const seen = this.firstSeenAt;
    for (const fd of fds) {
      const fdKey = `${key}#fd${fd.fd}=${fd.target}`;
      if (!seen.has(fdKey)) seen.set(fdKey, t);
    }
  }

  private recordOrphans(orphans: readonly ProcessSnapshot[], t: number): void {
    const seen = this.firstSeenAt;
    for (const p of orphans) {
      const key = processKey(p);
      if (!seen.has(key)) seen.set(key, t);
      this.orphanSnapshots.set(key, p);
    }
  }

  private recordSockets(sockets: readonly OwnedSocket[], t: number): void {
    const seen = this.firstSeenAt;
    for (const s of sockets) {
      const sockKey = `sock:${s.inode}`;
      if (!seen.has(sockKey)) seen.set(sockKey, t);
    }
  }

  /** keys: the process key of each tree member, in tree order */
  record(sample: Sample, keys: readonly string[]): void {
    const { t, tree, orphans, sockets } = sample;
    const seen = this.firstSeenAt;
    tree.forEach((p, i) => {
      const key = keys[i]!;
      if (!seen.has(key)) seen.set(key, t);
      if (p.depth >= 1) {
        this.descendantKeys.add(key);
        if (p.state === 'Z') {
          const span = this.zombieSpanByKey.get(key);
          if (span) {
            span.lastMs = t;
            span.process = p;
          } else this.zombieSpanByKey.set(key, { process: p, firstMs: t, lastMs: t });
        }
      }
      this.recordFds(key, p.fds, t);
    });
    this.recordOrphans(orphans, t);
    this.recordSockets(sockets, t);
  }
}
