// The kernel's process events (the proc connector, native/proc-events.c): fork, exec and exit of every process
// of the machine as they happen. The sampler's process table (process-table.ts) uses them to re-read /proc only
// for processes that changed; where they are not available (no native addon, no CAP_NET_ADMIN, not the initial
// namespaces) it scans /proc every sample, as it always did. Events can be lost (the socket's queue overflows
// on a burst): drain() then says so and the table rescans. The same addon reads a process's CPU clock
// (processRuntime), the sampler's cheapest question "did any thread of it run since the last look".
import { loadForkAddon } from '../../native/addon.js';

export const EV_FORK = 1;
export const EV_EXEC = 2;
export const EV_EXIT = 3;

/**
 * The CPU time (ns) of a whole thread group by pid — every thread, so it moves when any of them ran — or -1
 * when there is no such process; null when the addon cannot say (missing, or built before it could).
 */
export function processRuntimeReader(): ((pid: number) => number) | null {
  const load = loadForkAddon();
  if (!load.ok) return null;
  const read = (load.addon as unknown as { processRuntime?: (pid: number) => number }).processRuntime;
  return typeof read === 'function' ? read : null;
}

interface ProcEventsAddon {
  procEventsOpen(): number;
  procEventsRead(fd: number, out: Int32Array): number;
  procEventsClose(fd: number): void;
}

/** 3 ints per event (kind, pid, parent pid); the native side stops 64 events short of full */
const BUFFER_EVENTS = 4096;
const BATCH = 64;

export class ProcEvents {
  /** why events are unavailable here, once asked (null: they are available) */
  static unavailableReason: string | null | undefined;
  private readonly out = new Int32Array(3 * BUFFER_EVENTS);

  private constructor(
    private readonly addon: ProcEventsAddon,
    private fd: number,
  ) {}

  /** Subscribed to the connector, or null (the reason in ProcEvents.unavailableReason). */
  static open(): ProcEvents | null {
    if (ProcEvents.unavailableReason) return null;
    const load = loadForkAddon();
    if (!load.ok) {
      ProcEvents.unavailableReason = load.reason;
      return null;
    }
    const addon = load.addon as unknown as Partial<ProcEventsAddon>;
    if (
      typeof addon.procEventsOpen !== 'function' ||
      typeof addon.procEventsRead !== 'function' ||
      typeof addon.procEventsClose !== 'function'
    ) {
      ProcEvents.unavailableReason = 'the native addon predates process events; rebuild it with `npx handoff build-native`';
      return null;
    }
    try {
      const fd = addon.procEventsOpen();
      ProcEvents.unavailableReason = null;
      return new ProcEvents(addon as ProcEventsAddon, fd);
    } catch (error) {
      // not permitted here (EPERM), or no answer outside the initial namespaces: permanent for this process
      ProcEvents.unavailableReason = error instanceof Error ? error.message : String(error);
      return null;
    }
  }

  /** Every queued event, oldest first, to visit(kind, pid, parent); false when some were lost (rescan). */
  drain(visit: (kind: number, pid: number, parent: number) => void): boolean {
    if (this.fd < 0) return false;
    const out = this.out;
    let complete = true;
    for (;;) {
      const n = this.addon.procEventsRead(this.fd, out);
      if (n < 0) {
        complete = false;
        continue; // the queue overflowed: what follows is still read (and the caller rescans)
      }
      for (let i = 0; i < n; i++) visit(out[i * 3]!, out[i * 3 + 1]!, out[i * 3 + 2]!);
      if (n < BUFFER_EVENTS - BATCH) return complete;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.addon.procEventsClose(this.fd);
    this.fd = -1;
  }
}
