// `handoff stress --attach <pid> --port N`: a server someone else started (a compose file, a service manager)
// as the run's target. It is not the harness's child: its exit is seen by a pidfd, or in /proc where there is none
// (exit-watch.ts), and its exit status is its parent's to read; its output is not captured, and it carries no run
// marker (only what leaves its tree while watched counts as an orphan). Nothing of it is signalled unless
// --shutdown asked for the shutdown phase (SIGTERM to that process only); after a shutdown the run's cleanup ends
// what its tree left, and only then.
import type { LogRecord } from '../model/report.js';
import { TargetStartError, UsageError } from '../util/errors.js';
import { watchExit } from './exit-watch.js';
import { listenerBelongsToTarget } from './probes/listener-owner.js';
import { readCmdline, readStat } from './probes/proc-reader.js';
import { sweep, type Identity, type SweepResult } from './sweep.js';
import type { Target, TargetExit } from './target.js';
import { canConnect } from './ports.js';

export interface AttachSpec {
  pid: number;
  host: string;
  port: number;
  /** run the shutdown phase (SIGTERM, judged); without it the server is left running, untouched */
  shutdown: boolean;
  pool: { resident: number; cap: number };
}

const NOT_CAPTURED: LogRecord = {
  bytes: 0,
  kept: 0,
  truncated: false,
  error: 'not captured: an attached server writes where its own starter sends its output',
};

/** Whether `pid` is `root` or one of its descendants, by the ppid chain in /proc. */
export function descendsFrom(pid: number, root: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === root) return true;
    p = readStat(p)?.ppid ?? 0;
  }
  return false;
}

export async function attachTarget(spec: AttachSpec): Promise<Target> {
  const stat = readStat(spec.pid);
  if (!stat || stat.state === 'Z') throw new UsageError(`--attach ${spec.pid}: no such running process`);
  const starttime = stat.starttime;
  const argv = readCmdline(spec.pid) ?? [`[${stat.comm}]`];
  const fail = (why: string): never => {
    throw new TargetStartError(why, { command: argv, stderr: '', exitCode: null, signal: null });
  };
  if (!(await canConnect(spec.host, spec.port))) fail(`--attach ${spec.pid}: nothing accepts connections on ${spec.host}:${spec.port}`);
  if (!listenerBelongsToTarget(spec.port, (p) => descendsFrom(p, spec.pid))) {
    throw new UsageError(
      `--attach ${spec.pid} --port ${spec.port}: the socket listening on ${spec.port} is not held by pid ${spec.pid} or its descendants`,
    );
  }
  const started = Date.now();
  // not our child: no 'exit' event; a pidfd says when it exits (a zombie of its own parent counts as exited)
  const watch = watchExit(spec.pid, starttime);
  if (!watch) throw new UsageError(`--attach ${spec.pid}: no such running process`);
  let exitInfo: TargetExit | null = null;
  const exited = watch.exited.then(() => {
    exitInfo = { code: null, signal: null, atMs: Date.now() - started };
    return exitInfo;
  });
  let terminated = false;
  return {
    kind: 'command',
    pid: spec.pid,
    starttime,
    host: spec.host,
    port: spec.port,
    argv,
    pool: spec.pool,
    stdoutLog: '',
    stderrLog: '',
    exited,
    exit: () => exitInfo,
    stderrTail: () => '',
    async terminate(deadlineMs) {
      if (exitInfo) return exitInfo;
      if (!spec.shutdown) throw new Error('attached target: terminate without --shutdown');
      // to this process only (the pidfd, or the pid re-identified by its start time right before the signal)
      if (watch.signal('SIGTERM')) terminated = true;
      return Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), deadlineMs).unref())]);
    },
    async sweep(opts: { graceMs?: number; known?: () => Iterable<Identity> } = {}): Promise<SweepResult> {
      // nothing of a server that was not asked to shut down is the harness's to kill
      if (!terminated) return { killed: [], groupSignalled: false };
      return sweep({ markers: [], known: opts.known }, { graceMs: 0 });
    },
    async dispose() {
      watch.close();
      return { stdout: NOT_CAPTURED, stderr: NOT_CAPTURED };
    },
    helperPids: new Set(),
    exitSeenBy: watch.how,
  };
}
