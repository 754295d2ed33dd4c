// The IPC vocabulary between a master and its children (per-connection children, prefork and cluster
// workers), and the one way a master sends a control message. Plain JSON; a socket handle rides only on `conn`.
import type { ChildProcess } from 'node:child_process';

/** master → child */
export type ToChild =
  | { t: 'conn'; id: number } // carries the accepted socket as the send() handle
  | { t: 'shutdown'; graceMs: number } // finish in-flight work within graceMs, then exit
  | { t: 'retire'; graceMs: number }; // prefork recycle: same as shutdown, the master has a replacement

/** child → master */
export type ToMaster =
  | { t: 'ready' } // booted, listeners attached: handles may be sent now
  | { t: 'got'; id: number } // the handle arrived (the master may forget its bookkeeping copy)
  | { t: 'closed'; id: number } // that client connection is over
  | { t: 'done' } // per-connection child: its one connection is over, it is about to exit
  | { t: 'stats'; rssBytes: number; served: number } // periodic metrics flush
  | { t: 'listen-failed'; code: string }; // cluster worker: the shared listen failed (EADDRINUSE…); it exits 1

export const OPTIONS_ENV = 'HANDOFF_PROXY_OPTIONS';
/** set to '1' for a per-connection child booted ahead of demand (a spare): it warms up before 'ready' */
export const SPARE_ENV = 'HANDOFF_CHILD_SPARE';

export type ChildRole = 'per-connection' | 'worker' | 'cluster-worker';

export function isToMaster(m: unknown): m is ToMaster {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}

/**
 * A control message (shutdown, retire) to a child, if its channel is still open. A closing channel is fine: the
 * signal ladder that follows (escalate.ts) ends a child that missed it.
 */
export function sendControl(proc: ChildProcess, msg: ToChild): void {
  if (!proc.connected) return;
  try {
    proc.send(msg, (err) => void err);
  } catch {
    // channel already closed
  }
}
