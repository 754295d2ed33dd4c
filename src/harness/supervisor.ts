// The supervisor: what cleans up when the harness cannot (SIGKILL, the OOM killer, a crash). `handoff stress` and
// `handoff compare` start as a small supervisor that makes itself a child subreaper (prctl through the native
// addon) and runs the real harness as its child, so everything the harness leaves behind — the target's root,
// what the harness had adopted — is reparented to the supervisor when the harness dies. The harness tells it over
// an inherited socket (fd 3 in the child, close-on-exec there so targets never inherit it) which runs it has open,
// their directories and phases, and an interrupted-report skeleton. When the harness exits, the supervisor
// sweeps (sweep.ts: the run markers, its adopted children, the root's group while the root is its unreaped child)
// and, when the harness died mid-run, writes that run's report as interrupted (recorded by the supervisor).
// SIGINT/SIGTERM to the supervisor reach the harness (forwarded unless the harness already stopped on its own);
// a harness that does not finish its cleanup within 30 s is SIGKILLed. The harness in turn treats the loss of its
// supervisor (EOF on the socket) as an interruption. HANDOFF_NO_SUPERVISOR=1 turns all this off; without the
// addon there is no supervisor (docs/cleanup.md says what is then left uncovered).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Phase, Report } from '../model/report.js';
import type { ReportFormat } from '../report/write.js';
import { loadForkAddon } from '../native/addon.js';
import { readStat } from './probes/proc-reader.js';
import { becomeSubreaper, reapAdopted } from './subreaper.js';
import { sweep } from './sweep.js';
import { lineSplitter } from '../util/line-splitter.js';

/** What the harness tells its supervisor, one JSON object per line. */
export type SupervisorMessage =
  | { type: 'run'; runId: string; runDir: string; formats: ReportFormat[]; report: Report }
  | { type: 'phase'; runId: string; phases: Phase[]; current: Phase['name']; at: number }
  | { type: 'root'; runId: string; pid: number; starttime: number }
  | { type: 'interrupted'; runId: string }
  | { type: 'done'; runId: string };

const CHANNEL_ENV = 'HANDOFF_SUPERVISED';
const CHANNEL_FD = 3;
/** how long the harness may take to clean up after a forwarded signal before it is SIGKILLed */
const CLEANUP_BOUND_MS = 30_000;

// ---- the harness's side -------------------------------------------------------------------------------------

let channel: net.Socket | null = null;
let lost = false;
const lostListeners = new Set<() => void>();

/**
 * In the harness started by a supervisor: takes the channel (fd 3) over, close-on-exec, and watches it; returns
 * whether there is one. Removes the variable from the environment, so a target never thinks it is supervised.
 */
export function connectToSupervisor(): boolean {
  if (process.env[CHANNEL_ENV] !== '1') return false;
  delete process.env[CHANNEL_ENV];
  const load = loadForkAddon();
  if (!load.ok) return false;
  let fd: number;
  try {
    fd = load.addon.dupFd(CHANNEL_FD);
    load.addon.closeFd(CHANNEL_FD);
  } catch {
    return false;
  }
  const sock = new net.Socket({ fd, readable: true, writable: true });
  sock.on('data', () => {});
  const onLost = (): void => {
    if (lost) return;
    lost = true;
    channel = null;
    for (const l of lostListeners) l();
  };
  sock.on('end', onLost);
  sock.on('close', onLost);
  sock.on('error', onLost);
  sock.unref();
  channel = sock;
  return true;
}

/** Sends a message to the supervisor, if there is one (never throws). */
export function tellSupervisor(msg: SupervisorMessage): void {
  if (!channel) return;
  try {
    channel.write(`${JSON.stringify(msg)}\n`);
  } catch {
    /* the supervisor is gone: onLost says so */
  }
}

/** Calls `cb` when the supervisor goes away (at once if it already has); returns the unsubscribe function. */
export function onSupervisorLost(cb: () => void): () => void {
  if (lost) {
    queueMicrotask(cb);
    return () => {};
  }
  lostListeners.add(cb);
  return () => lostListeners.delete(cb);
}

// ---- the supervisor's side ----------------------------------------------------------------------------------

interface OpenRun {
  runDir: string;
  formats: ReportFormat[];
  report: Report;
  phases: Phase[];
  current: Phase['name'];
  at: number;
  root: { pid: number; starttime: number } | null;
  interrupted: boolean;
}

/**
 * Runs this very command again as a supervised harness and waits for it; resolves with the exit code to use.
 * null: no supervisor here (turned off, already supervised, no addon) — run the harness in this process.
 */
export async function superviseHarness(): Promise<number | null> {
  if (process.env.HANDOFF_NO_SUPERVISOR === '1' || process.env[CHANNEL_ENV] !== undefined) return null;
  if (process.platform !== 'linux' || becomeSubreaper() !== null) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHANNEL_ENV]: '1' },
  });
  const runs = new Map<string, OpenRun>();
  const markers = new Set<string>();
  const stream = child.stdio[CHANNEL_FD] as net.Socket | null;
  // a harness never sends a long line; one that does is not trusted with memory
  const split = lineSplitter(
    (line) => {
      try {
        apply(JSON.parse(line) as SupervisorMessage);
      } catch {
        /* a torn last line of a dying harness */
      }
    },
    { maxPending: 4 * 1024 * 1024 },
  );
  stream?.on('data', (chunk: Buffer) => split(chunk.toString('utf8')));
  stream?.on('error', () => {});
  const apply = (m: SupervisorMessage): void => {
    if (m.type === 'run') {
      markers.add(m.runId);
      runs.set(m.runId, {
        runDir: m.runDir,
        formats: m.formats,
        report: m.report,
        phases: [],
        current: 'start',
        at: 0,
        root: null,
        interrupted: false,
      });
      return;
    }
    const run = runs.get(m.runId);
    if (!run) return;
    if (m.type === 'phase') Object.assign(run, { phases: m.phases, current: m.current, at: m.at });
    else if (m.type === 'root') run.root = { pid: m.pid, starttime: m.starttime };
    else if (m.type === 'interrupted') run.interrupted = true;
    else runs.delete(m.runId);
  };

  let killTimer: NodeJS.Timeout | null = null;
  const forward = (signal: NodeJS.Signals): void => {
    // a Ctrl-C reaches the harness too (same process group): forward only if it has not stopped on its own
    setTimeout(() => {
      if ([...runs.values()].some((r) => r.interrupted) || child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.kill(signal);
      } catch {
        /* gone */
      }
    }, 200).unref();
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), CLEANUP_BOUND_MS);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  if (killTimer) clearTimeout(killTimer);
  // the socket may still hold the harness's last lines
  if (stream && !stream.destroyed && !stream.readableEnded) {
    await new Promise<void>((r) => {
      const timer = setTimeout(r, 500);
      stream.once('close', () => {
        clearTimeout(timer);
        r();
      });
    });
  }

  const self = process.pid;
  const open = [...runs.values()];
  let killed = 0;
  const roots = open.map((r) => r.root).filter((r): r is { pid: number; starttime: number } => r !== null);
  // first the groups of roots that are our unreaped children now (provably ours), then everything else
  for (const root of roots.length ? roots : [null]) {
    const result = await sweep(
      {
        markers: [...markers],
        group: root
          ? {
              pgid: root.pid,
              ours: () => {
                const s = readStat(root.pid);
                return s !== null && s.ppid === self && s.starttime === root.starttime;
              },
            }
          : undefined,
        // every child of ours but the harness (already reaped) came to us from the harness's tree
        adopted: (stat) => stat.ppid === self,
        reap: reapAdopted,
      },
      { graceMs: 300 },
    );
    killed += result.killed.length;
  }
  // a harness that died mid-run wrote no report: the supervisor records the run as interrupted
  for (const run of open) {
    if (existsSync(join(run.runDir, 'report.json'))) continue;
    await recordInterrupted(run, signal ?? 'crash', killed);
  }
  if (open.length > 0 && (signal !== null || code === 1)) return signal !== null ? 130 : 70;
  return code ?? 130;
}

async function recordInterrupted(run: OpenRun, signal: string, killed: number): Promise<void> {
  const { writeReports } = await import('../report/write.js');
  const phases = [
    ...run.phases,
    ...(run.phases.some((p) => p.name === run.current) ? [] : [{ name: run.current, start: run.at, end: run.at }]),
  ];
  const report: Report = { ...run.report, phases, interruption: { signal, phase: run.current, recordedBy: 'supervisor', killed } };
  try {
    await writeReports(report, run.runDir, run.formats as ReportFormat[], {
      latest: false,
      warn: (m) => process.stderr.write(`handoff: warning: ${m}\n`),
    });
    process.stderr.write(
      `handoff: the harness died (${signal}) during ${run.current}; its supervisor cleaned up and recorded the run as interrupted in ${run.runDir}\n`,
    );
  } catch (err) {
    process.stderr.write(
      `handoff: the harness died (${signal}); could not record the interrupted run in ${run.runDir}: ${(err as Error).message}\n`,
    );
  }
}
