// A dead man's switch for a run. The harness sweeps on every path it controls (sweep.ts), and its supervisor
// (supervisor.ts) when the harness dies outright; this tiny shell watcher covers the harness and its supervisor
// dying together (a SIGKILL to the whole job, no native addon): when the harness is gone it kills the target's
// group — only while the group's leader is still the target (same start time: a reused number is not ours) —
// and every process carrying the run's marker. What it cannot find: a process that both left the group and
// dropped the marker (docs/cleanup.md). Stopped (killed) as soon as the harness has released the run itself.
import { spawn } from 'node:child_process';
import { MARKER_NAME } from './marker.js';

const SCRIPT = [
  // tail --pid returns when the process is gone (checked every 0.2 s) without forking per check
  'tail --pid="$1" -s 0.2 -f /dev/null 2>/dev/null || while kill -0 "$1" 2>/dev/null; do sleep 1; done',
  // stat field 22 (start time) is the 20th after "comm) "
  `st=$(sed 's/^.*) //' "/proc/$2/stat" 2>/dev/null | cut -d' ' -f20)`,
  // dash's kill takes no `--`: `-9 -PGID` is the signal, then the group
  '[ -n "$st" ] && [ "$st" = "$3" ] && kill -9 -"$2" 2>/dev/null',
  `for f in $(grep -lzx "${MARKER_NAME}=$4" /proc/[0-9]*/environ 2>/dev/null); do p=\${f#/proc/}; kill -9 "\${p%/environ}" 2>/dev/null; done`,
  'exit 0',
].join('; ');

export interface Guardian {
  readonly pid: number;
  stop(): void;
}

export interface GuardedRun {
  /** the target's root: its group leader */
  root: number;
  /** the root's start time (clock ticks), its identity */
  starttime: number;
  runId: string;
}

/** Watches `harnessPid` (default: this process); when it is gone, ends the run's group and marked processes. */
export function startGuardian(run: GuardedRun, harnessPid = process.pid): Guardian | null {
  try {
    const child = spawn('sh', ['-c', SCRIPT, 'handoff-guardian', String(harnessPid), String(run.root), String(run.starttime), run.runId], {
      // its own session: a Ctrl-C to the harness's terminal must not take the watcher down first
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => {}); // no sh: the harness's own cleanup still covers every path it controls
    child.unref();
    const pid = child.pid ?? -1;
    return {
      pid,
      stop() {
        // the whole little group: sh and its tail (its own group: it was started with setsid)
        if (pid > 0 && child.exitCode === null && child.signalCode === null) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      },
    };
  } catch {
    return null;
  }
}
