// The one cleanup rule of every exit path — the normal end of a run, a failed start, an interruption
// (interrupt.ts), the supervisor after the harness died (supervisor.ts), the 'exit' hook: the target's process
// group is signalled only while it is provably ours (its leader is our unreaped child: a group id cannot be
// reused while that zombie or process holds it), then every process that is the run's is SIGKILLed one by one:
// whatever carries the run marker, whatever this process adopted as subreaper, whatever the sampler knew from
// the tree. Each is re-identified by pid + start time right before the signal (pids are reused), so a number
// that is no longer ours is never signalled. `--ignore` plays no part here: it changes what checks count,
// never what cleanup kills.
import { signalGroup, signalPid } from './cleanup.js';
import { MARKER_NAME } from './marker.js';
import { hasMarker, listPids, readStat } from './probes/proc-reader.js';
import { processKey, type ProcStat } from './probes/types.js';
import { pollUntil } from '../util/poll.js';

export interface Identity {
  pid: number;
  starttime: number;
}

export interface SweepScope {
  /** run ids: every process whose initial environment carries HANDOFF_RUN_ID=<id> is the run's */
  markers: readonly string[];
  /** the target's process group; signalled only while ours() says it is provably still the target's */
  group?: { pgid: number; ours: () => boolean };
  /** a child of this process (ppid = us) that is a target's leftover, adopted as subreaper */
  adopted?: (stat: ProcStat) => boolean;
  /** further processes known to be the target's (the sampler's tree), by identity */
  known?: () => Iterable<Identity>;
  /** waits for an adopted child that was killed (its zombie is ours); true when reaped */
  reap?: (pid: number) => boolean;
}

/** A process the sweep SIGKILLed by itself, with the group it was in. */
export interface Swept extends Identity {
  pgrp: number;
}

export interface SweepResult {
  /** processes SIGKILLed one by one (besides the group signal) */
  killed: Swept[];
  /** whether the group was signalled (it was still ours) */
  groupSignalled: boolean;
}

/** Whether a process is the scope's; `stat` read just before. */
function belongs(scope: SweepScope, stat: ProcStat, known: ReadonlySet<string>): boolean {
  if (scope.adopted?.(stat)) return true;
  if (known.has(processKey(stat))) return true;
  return scope.markers.some((m) => hasMarker(stat.pid, MARKER_NAME, m) === true);
}

/**
 * One pass over /proc: SIGKILLs every live process of the scope (not the group: see sweep) and reaps the
 * adopted zombies it meets. Synchronous, so the 'exit' hook can use it. Returns the processes signalled.
 */
export function sweepOnce(scope: SweepScope): Swept[] {
  const known = new Set<string>();
  for (const k of scope.known?.() ?? []) known.add(processKey(k));
  const killed: Swept[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    if (stat.state === 'Z') {
      // a zombie of ours: nothing to kill, but it is ours to reap
      if (scope.adopted?.(stat)) scope.reap?.(pid);
      continue;
    }
    if (!belongs(scope, stat, known)) continue;
    // the same process as the one just judged (the environ read may have raced a reuse of the pid)
    if (readStat(pid)?.starttime !== stat.starttime) continue;
    if (signalPid(pid, 'SIGKILL')) killed.push({ pid, starttime: stat.starttime, pgrp: stat.pgrp });
  }
  return killed;
}

/** The group still has a member and is provably still the target's. */
function groupAlive(group: NonNullable<SweepScope['group']>): boolean {
  return group.ours() && signalGroup(group.pgid, 0);
}

/**
 * The sweep: the group first (SIGTERM, up to graceMs for it to go, then SIGKILL — each only while ours()), then
 * passes of sweepOnce until one finds nothing (a forking leftover may spawn between passes), at most ~2 s.
 */
export async function sweep(scope: SweepScope, opts: { graceMs?: number } = {}): Promise<SweepResult> {
  const group = scope.group;
  let groupSignalled = false;
  if (group?.ours()) {
    const graceMs = opts.graceMs ?? 0;
    if (graceMs > 0 && signalGroup(group.pgid, 'SIGTERM')) {
      groupSignalled = true;
      // the group is gone once its leader is reaped (ours() false) or no member is left
      await pollUntil(() => ({ done: !groupAlive(group), value: null }), {
        initialMs: 20,
        maxMs: 20,
        factor: 1,
        deadline: Date.now() + graceMs,
      });
    }
    if (group.ours() && signalGroup(group.pgid, 'SIGKILL')) {
      groupSignalled = true;
      // a moment for the members to die, so the passes below meet only what is outside the group
      await pollUntil(() => ({ done: !groupAlive(group), value: null }), {
        initialMs: 10,
        maxMs: 10,
        factor: 1,
        deadline: Date.now() + 200,
      });
    }
  }
  const killed: Swept[] = [];
  const seen = new Set<string>();
  let pass = 0;
  await pollUntil(
    () => {
      const found = sweepOnce(scope).filter((p) => !seen.has(processKey(p)));
      for (const p of found) {
        seen.add(processKey(p));
        killed.push(p);
      }
      // one more pass after any kill: reaps what it killed, and finds what it forked meanwhile. pollUntil's timers
      // are not unref'd: a supervisor sweeping after its harness died has nothing else keeping it alive (bounded)
      return { done: found.length === 0 && (pass++ > 0 || !groupSignalled), value: null };
    },
    { initialMs: 10, maxMs: 30, factor: 3, deadline: Date.now() + 2_000 },
  );
  return { killed, groupSignalled };
}
