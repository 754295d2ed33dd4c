// Kept-open /proc handles of the processes the sampler watches (while its periodic timer runs): one syscall per
// question instead of open+read+close. Beside proc-reader.ts, whose one-off reads it falls back on over its cap.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { isGone, preadText } from './proc-file.js';
import { countFds, fdCountIsSupported, readStat, schedstatIsSupported } from './proc-reader.js';
import { processRuntimeReader } from './proc-events.js';
import { parseStat } from './parse-stat.js';
import type { ProcStat } from './types.js';

/**
 * Kept-open handles on the /proc entries of watched processes, so that a periodic sample costs one syscall
 * per question instead of open+read+close or a path walk:
 *  - /proc/PID/stat re-read with pread at offset 0 (a seq_file regenerates its text on a read from 0);
 *  - /proc/PID/fd directory fstat()ed for its size, which Linux ≥ 6.2 reports as the number of open fds.
 * A handle belongs to the process, not the pid number: once that process is reaped a read fails with ESRCH,
 * even if the pid was reused since. Holds up to two fds per watched process: close() when done.
 */
export class ProcHandles {
  private readonly statFds = new Map<number, number>();
  private readonly fdDirFds = new Map<number, number>();
  private readonly schedFds = new Map<number, number>();

  /** the thread group's CPU clock (native addon), else null: the leader's schedstat is the look */
  private readonly runtime: ((pid: number) => number) | null;
  private readonly schedstatLooks: boolean;

  constructor(
    private readonly maxProcesses = 1024,
    look: 'runtime' | 'schedstat' = 'runtime',
  ) {
    this.runtime = look === 'runtime' ? processRuntimeReader() : null;
    this.schedstatLooks = schedstatIsSupported();
  }

  /** which look activity() takes for a process of this many threads; null: none says it did not run */
  lookFor(numThreads: number): 'runtime' | 'schedstat' | null {
    if (this.runtime) return 'runtime';
    return this.schedstatLooks && numThreads === 1 ? 'schedstat' : null;
  }

  /**
   * What says whether a process ran since the last look: equal values mean it got no CPU, so it opened,
   * closed or changed nothing. The thread group's CPU time (one syscall, no file, any thread count), else
   * the leader's schedstat (single-threaded processes only: it covers one thread); `look` is what lookFor
   * said for it. null when gone; undefined when over the cap.
   */
  activity(pid: number, look: 'runtime' | 'schedstat'): number | string | null | undefined {
    if (look === 'schedstat') return this.schedstat(pid);
    const ns = this.runtime!(pid);
    return ns < 0 ? null : ns;
  }

  get size(): number {
    return this.statFds.size + this.fdDirFds.size + this.schedFds.size;
  }

  /**
   * /proc/PID/schedstat of the thread-group leader as text ("runtime_ns wait_ns timeslices"): it changes
   * whenever the leader got a CPU, so for a single-threaded process an unchanged text means it did not run
   * at all (and so opened, closed or changed nothing). null when gone; undefined when over the cap.
   */
  schedstat(pid: number): string | null | undefined {
    const fd = this.handle(this.schedFds, pid, `/proc/${pid}/schedstat`);
    if (fd === undefined) return undefined;
    if (fd === null) return null;
    try {
      return preadText(fd, 'latin1');
    } catch (error) {
      this.forget(pid);
      if (isGone(error)) return null;
      throw error;
    }
  }

  stat(pid: number): ProcStat | null {
    const fd = this.handle(this.statFds, pid, `/proc/${pid}/stat`);
    if (fd === undefined) return readStat(pid);
    if (fd === null) return null;
    try {
      return parseStat(preadText(fd, 'utf8'));
    } catch (error) {
      this.forget(pid);
      if (isGone(error)) return null;
      throw error;
    }
  }

  /** As countFds(pid). */
  fdCount(pid: number): number | null | undefined {
    if (!fdCountIsSupported()) return undefined;
    const fd = this.handle(this.fdDirFds, pid, `/proc/${pid}/fd`);
    if (fd === undefined) return countFds(pid);
    if (fd === null) return null;
    try {
      return fstatSync(fd).size;
    } catch (error) {
      this.forget(pid);
      if (isGone(error)) return null;
      throw error;
    }
  }

  forget(pid: number): void {
    for (const map of [this.statFds, this.fdDirFds, this.schedFds]) {
      const fd = map.get(pid);
      if (fd === undefined) continue;
      map.delete(pid);
      closeSync(fd);
    }
  }

  close(): void {
    for (const pid of [...this.statFds.keys(), ...this.fdDirFds.keys(), ...this.schedFds.keys()]) this.forget(pid);
  }

  /** the open fd; null when the process is gone; undefined when over the cap (caller falls back) */
  private handle(map: Map<number, number>, pid: number, path: string): number | null | undefined {
    const open = map.get(pid);
    if (open !== undefined) return open;
    if (map.size >= this.maxProcesses) return undefined;
    try {
      const fd = openSync(path, 'r');
      map.set(pid, fd);
      return fd;
    } catch (error) {
      if (isGone(error)) return null;
      throw error;
    }
  }
}
