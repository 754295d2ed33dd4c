// A dead man's switch for the target's process group. The harness ends the group on every path it controls
// (cleanup.ts), but not when it is killed outright (SIGKILL, the OOM killer): the target, in a group of its
// own, would then run on with nobody to end it. A small detached watcher outlives the harness, sees it go,
// and kills the group. Stopped (killed) as soon as the harness has released the group itself.
import { spawn } from 'node:child_process';

const SCRIPT = [
  // tail --pid returns when the process is gone (checked every 0.2 s) without forking per check
  'tail --pid="$1" -s 0.2 -f /dev/null 2>/dev/null || while kill -0 "$1" 2>/dev/null; do sleep 1; done',
  // dash's kill takes no `--`: `-9 -PGID` is the signal, then the group
  'kill -9 -"$2" 2>/dev/null',
].join('; ');

export interface Guardian {
  readonly pid: number;
  stop(): void;
}

/** Watches `harnessPid` (default: this process); when it is gone, SIGKILLs process group `pgid`. */
export function startGuardian(pgid: number, harnessPid = process.pid): Guardian | null {
  try {
    const child = spawn('sh', ['-c', SCRIPT, 'handoff-guardian', String(harnessPid), String(pgid)], {
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
        // the whole little group: sh and its tail
        if (pid > 0) {
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
