// What a run's samples leave as evidence beyond the timeline: when each process, fd (by number and target) and
// socket was first seen, every descendant seen as a zombie (first and last sample in state Z), the distinct
// descendants seen, and the orphans seen. Kept for the whole run; fed one sample at a time by the sampler.
import { processKey, type FdEntry, type ProcessSnapshot, type Sample, type ZombieSpan } from './types.js';

export class SampleEvidence {
  readonly firstSeenAt = new Map<string, number>();
  readonly orphanSnapshots = new Map<string, ProcessSnapshot>();
  /** every descendant seen as a zombie: from its first to its last sample in state Z (the zombie bound judges it) */
  readonly zombieSpanByKey = new Map<string, ZombieSpan>();
  readonly descendantKeys = new Set<string>();
  /** fd lists already counted into first-seen (an unchanged list is the same array from sample to sample) */
  private readonly recordedFdLists = new WeakSet<FdEntry[]>();

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
      if (!this.recordedFdLists.has(p.fds)) {
        this.recordedFdLists.add(p.fds);
        for (const fd of p.fds) {
          const fdKey = `${key}#fd${fd.fd}=${fd.target}`;
          if (!seen.has(fdKey)) seen.set(fdKey, t);
        }
      }
    });
    for (const p of orphans) {
      const key = processKey(p);
      if (!seen.has(key)) seen.set(key, t);
      this.orphanSnapshots.set(key, p);
    }
    for (const s of sockets) {
      const sockKey = `sock:${s.inode}`;
      if (!seen.has(sockKey)) seen.set(sockKey, t);
    }
  }
}
