// The harness as a child subreaper (prctl PR_SET_CHILD_SUBREAPER, through the native addon). A descendant of the
// target whose parent exits — a double-forked daemon — is reparented to the harness instead of init, so the
// sampler finds it by its parent pid even when it dropped the run's marker (an empty environment), no-orphans
// reports it and the harness kills and reaps it. Only the CLI turns this on: a process embedding the harness
// keeps its own semantics. Without the addon, orphans are found by the marker alone, as before.
import { loadForkAddon, type ForkAddon } from '../native/addon.js';
import { signalPid } from './cleanup.js';
import { listPids, readStat } from './probes/proc-reader.js';
import type { ProcStat } from './probes/types.js';

let addon: ForkAddon | null = null;
let unavailable: string | null = null;

/** Makes this process a subreaper (once). Returns null when it is one, else why not. */
export function becomeSubreaper(): string | null {
  if (addon) return null;
  if (unavailable !== null) return unavailable;
  const load = loadForkAddon();
  if (!load.ok) {
    unavailable = load.reason;
    return unavailable;
  }
  try {
    load.addon.becomeSubreaper();
    addon = load.addon;
    return null;
  } catch (err) {
    unavailable = err instanceof Error ? err.message : String(err);
    return unavailable;
  }
}

export function isSubreaper(): boolean {
  return addon !== null;
}

/**
 * Waits (non-blocking) for an adopted process that has exited: its zombie is ours now, and libuv only reaps the
 * children it spawned. Never call it for a child Node spawned (the target, the guardian): libuv would then miss
 * its exit. True when reaped.
 */
export function reapAdopted(pid: number): boolean {
  return addon !== null && addon.reap(pid, false) >= 0;
}

/**
 * Reparented to us from a target whose root started at `rootStart` (clock ticks): a child of ours born after the
 * root that we did not start ourselves (`ownChildren`: the root, the guardian).
 */
export function isAdopted(stat: ProcStat, rootStart: number, ownChildren: ReadonlySet<number>): boolean {
  return stat.ppid === process.pid && stat.starttime >= rootStart && !ownChildren.has(stat.pid);
}

/** The live processes adopted from such a target (a scan of /proc); empty unless this process is a subreaper. */
export function adoptedSince(rootStart: number, ownChildren: ReadonlySet<number>): ProcStat[] {
  if (!isSubreaper()) return [];
  const adopted: ProcStat[] = [];
  for (const pid of listPids()) {
    const stat = readStat(pid);
    if (stat && stat.state !== 'Z' && isAdopted(stat, rootStart, ownChildren)) adopted.push(stat);
  }
  return adopted;
}

/** SIGKILLs adopted processes (checked by starttime: pids are reused) and reaps them; returns their pids. */
export async function killAdopted(processes: { pid: number; starttime: number }[]): Promise<number[]> {
  const killed = processes.filter((p) => readStat(p.pid)?.starttime === p.starttime && signalPid(p.pid, 'SIGKILL')).map((p) => p.pid);
  const deadline = Date.now() + 1_000;
  let left = isSubreaper() ? killed : [];
  while (left.length > 0 && Date.now() < deadline) {
    left = left.filter((pid) => !reapAdopted(pid));
    if (left.length > 0) await new Promise((r) => setTimeout(r, 10));
  }
  return killed;
}
