// Waits for the children the zygote forked — those pids only: libuv reaps just what it spawned itself, so a
// forked child nobody waits for stays a zombie. Sweeps on SIGCHLD, and on a slow timer in case a signal was
// coalesced or missed. A child added with leaveUnreaped (the `zombie` canary) is noticed to exit but never waited for.
// At shutdown it also ends the children that are left (endAll: grace, SIGTERM, SIGKILL).
import type { ForkAddon } from '../../native/addon.js';

export interface ChildExit {
  pid: number;
  code: number | null;
  signal: number | null;
}

export function decodeStatus(pid: number, raw: number): ChildExit {
  return raw >= 256 ? { pid, code: null, signal: raw - 256 } : { pid, code: raw, signal: null };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean, deadline: number): Promise<boolean> {
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
  return true;
}

/** At shutdown, how long children get after SIGTERM before SIGKILL, and after SIGKILL before we stop waiting. */
const TERM_WAIT_MS = 1_000;
const KILL_WAIT_MS = 2_000;

export class Reaper {
  private readonly live = new Set<number>();
  private readonly unreaped = new Set<number>();
  /** children the zombie canary leaves unreaped (noticed with a peek, never waited for) */
  private readonly peekOnly = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private forgotten = false;
  private readonly sweep = (): void => this.sweepNow();

  constructor(
    private readonly addon: ForkAddon,
    private readonly options: { sweepEveryMs?: number; onExit: (exit: ChildExit) => void },
  ) {}

  start(): void {
    process.on('SIGCHLD', this.sweep);
    this.timer = setInterval(this.sweep, this.options.sweepEveryMs ?? 500);
    this.timer.unref();
  }

  /** Stop listening (zygote shutdown done, or this is a freshly forked child that must not reap its siblings). */
  stop(): void {
    process.off('SIGCHLD', this.sweep);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * In a child right after fork: the zygote's children are not ours. The SIGCHLD listener stays registered (forkChild
   * reset the signal to its default disposition, so it never fires): removing it would close libuv's signal handle,
   * and a handle closed with a SIGCHLD caught in the zygote but not yet dispatched (its message went to the
   * zygote's signal pipe, not this child's) is re-queued for closing on every loop turn: the child spins.
   */
  forget(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.forgotten = true;
    this.live.clear();
    this.unreaped.clear();
    this.peekOnly.clear();
  }

  add(pid: number, leaveUnreaped = false): void {
    this.live.add(pid);
    if (leaveUnreaped) this.peekOnly.add(pid);
  }

  /** Children not yet seen to exit. */
  liveCount(): number {
    return this.live.size;
  }

  livePids(): number[] {
    return [...this.live];
  }

  /** Children left as zombies on purpose (the fault). */
  zombiePids(): number[] {
    return [...this.unreaped];
  }

  sweepNow(): void {
    if (this.forgotten) return;
    for (const pid of this.live) {
      const peek = this.peekOnly.has(pid);
      const raw = this.addon.reap(pid, peek);
      if (raw === -1) continue;
      this.live.delete(pid);
      this.peekOnly.delete(pid);
      if (peek && raw >= 0) this.unreaped.add(pid);
      // -2/-3: not (or no longer) a child of ours; nothing left to wait for
      this.options.onExit(decodeStatus(pid, Math.max(raw, 0)));
    }
  }

  /**
   * At shutdown: let the live children finish for up to graceMs, then SIGTERM them, then SIGKILL (each child is
   * reaped as it exits, by the SIGCHLD sweep). Resolves when none is left, or after the last wait.
   */
  async endAll(graceMs: number): Promise<void> {
    const none = (): boolean => this.live.size === 0;
    await waitUntil(none, Date.now() + Math.max(0, graceMs));
    if (!none()) {
      this.signalAll('SIGTERM');
      await waitUntil(none, Date.now() + TERM_WAIT_MS);
    }
    if (!none()) {
      this.signalAll('SIGKILL');
      await waitUntil(none, Date.now() + KILL_WAIT_MS);
    }
  }

  /** Send a signal to every live child; a pid that is already gone is fine. */
  signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.live) {
      try {
        process.kill(pid, signal);
      } catch {
        // exited between the sweep and the kill
      }
    }
  }
}
