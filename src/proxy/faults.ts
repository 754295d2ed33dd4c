// Canary faults: each one reproduces, on purpose and for real, one classic process-cleanup bug, so the
// harness can prove its check catches it. What each does, and where:
//
//   no-parent-close     per-connection master, prefork master: the master keeps its copy of every
//                       handed-off socket (ipc: send with keepOpen; stdio: no destroy after spawn). Children
//                       close like a fork server (process/fork-close.ts), so the client never sees EOF.
//                       fork: the zygote keeps its copy of a forked child's connection (not with --spares).
//   zombie              the process that accepts (inline, per-connection / prefork master, cluster primary)
//                       logs connections to a sink that forks a "rotation" job for each leaky connection and
//                       never wait()s for it -> state Z for as long as the sink lives. (Node itself reaps
//                       what it spawns, so the un-waited process must be a grandchild.)
//                       fork: a forked child is never waited for.
//   fd-leak             the process that serves requests long-term (inline, per-connection master, prefork
//                       and cluster workers, the fork zygote) opens a per-connection access-log descriptor and
//                       forgets to close it. (The zygote logs each fork, so the leak also bites with --spares.)
//   orphan-on-shutdown  strategies: on SIGTERM the master returns at once without stopping children, and
//                       children (child.ts) do not watch the IPC channel, relying on the master to stop them.
//   child-stall         child.ts: a per-connection child does not exit after its connection; its stats
//                       timer keeps the loop alive until the master's linger kill.
//                       fork: a forked child does not _exit once its connection is closed.
//   ack-death           child.ts: a per-connection child exits when the handle arrives, before serving it.
//
// Rate (--fault-rate R, 0 < R <= 1, default 1): every fault bites only that share of connections (of children,
// for orphan-on-shutdown), drawn from faultDice() — a seeded dice, reproducible with HANDOFF_FAULT_SEED. A rare
// leak is what a real server has; the accuracy bench (bench/accuracy.ts) measures how often the suite sees it.
//
// This file is the machinery (the dice, the zombie's log sink, fd-leak's access log) and which strategy offers
// which fault. Which role a fault bites and at which decision point is canary.ts (a child's side:
// child-canary.ts): strategies ask their canary, they never compare fault names.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ForwardHooks } from './forward.js';
import type { FaultName } from './options.js';

export interface FaultHooks {
  /** call once for every accepted client connection */
  onConnection(): void;
  /** hooks to pass to createForwardProxy */
  readonly forwardHooks: ForwardHooks;
  /** releases what the fault machinery itself started (the log sink); leaked fds stay leaked until exit */
  close(): Promise<void>;
  /** live helper processes this role keeps (the zombie canary's log sink): part of the declared pool */
  readonly helperProcesses: number;
}

/** Which faults exist on which strategy; everything else is a usage error rather than a silent no-op. */
export const FAULTS_BY_STRATEGY: Record<string, readonly FaultName[]> = {
  inline: ['zombie', 'fd-leak'],
  'per-connection': ['no-parent-close', 'zombie', 'orphan-on-shutdown', 'fd-leak', 'child-stall', 'ack-death'],
  prefork: ['no-parent-close', 'zombie', 'orphan-on-shutdown', 'fd-leak'],
  cluster: ['zombie', 'fd-leak'],
  // the zombie here is a forked child never reaped (strategies/fork.ts), not the log sink
  fork: ['zombie', 'no-parent-close', 'child-stall', 'fd-leak'],
};

/** The hooks of a role no fault concerns. */
export const NO_HOOKS: FaultHooks = { onConnection: () => {}, forwardHooks: {}, close: async () => {}, helperProcesses: 0 };

/** Environment variable seeding every fault dice (any string); unset: a fresh seed per process. */
export const FAULT_SEED_ENV = 'HANDOFF_FAULT_SEED';

/**
 * A dice that says "leak" for the share `rate` of its throws. Seeded from HANDOFF_FAULT_SEED and `salt` (the
 * role, or what tells one child from another), so a run can be replayed and two processes do not throw alike.
 * Rate 1 never draws: every throw leaks, as the canaries always did.
 */
export function faultDice(rate: number, salt: string, seed: string | undefined = process.env[FAULT_SEED_ENV]): () => boolean {
  if (rate >= 1) return () => true;
  const next = mulberry32(hash32(`${seed ?? `${process.pid}:${Date.now()}:${Math.random()}`}|${salt}`));
  return () => next() < rate;
}

/** FNV-1a over the string's UTF-16 units: a 32-bit seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A small, well-mixed 32-bit generator: uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * zombie: an access-log sink, a loop reading log lines, that forks a "rotation" job for each line marked
 * `rotate` (a leaky connection) and never waits for it: the job exits at once and stays a zombie for as long as
 * the sink lives. Perl (Debian's essential perl-base), not sh: dash reaps its background jobs at the next line
 * it reads, so with a rate below 1 the next clean connection reaped the zombie — a periodic reaper, no leak.
 * At most ZOMBIE_CAP are kept (a flood at rate 1 must not fill the pid table). The sink's lifetime follows our
 * pipe (EOF when we close it or die), so the canary leaves zombies but never an orphan.
 */
export const ZOMBIE_CAP = 64;
const SINK_LOOP = `use POSIX (); my $kept = 0;
while (my $line = <STDIN>) {
  next unless $line =~ /rotate$/ && $kept < ${ZOMBIE_CAP};
  my $pid = fork();
  POSIX::_exit(0) if defined $pid && $pid == 0;
  $kept++ if defined $pid;
}`;

export function zombieLogSink(leaks: () => boolean): FaultHooks {
  let sink: ChildProcess | null = spawn('perl', ['-e', SINK_LOOP], { stdio: ['pipe', 'ignore', 'ignore'] });
  sink.on('error', () => {});
  sink.stdin?.on('error', () => {}); // EPIPE if the sink died: the log line is simply lost
  let served = 0;
  return {
    onConnection() {
      served++;
      const rotate = leaks() ? ' rotate' : '';
      if (sink?.stdin?.writable) sink.stdin.write(`${Date.now()} connection ${served}${rotate}\n`);
    },
    forwardHooks: {},
    helperProcesses: 1,
    async close() {
      const s = sink;
      sink = null;
      if (!s || s.exitCode !== null || s.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => s.once('exit', () => resolve()));
      s.stdin?.end();
      const timer = setTimeout(() => s.kill('SIGKILL'), 1_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** fd-leak: one access-log descriptor per connection, written once and, for a leaky one, never closed. */
export function leakyAccessLog(leaks: () => boolean): FaultHooks {
  // the log is unlinked at once and every descriptor reopens it through an anchor's /proc link (it still reads
  // `/tmp/handoff-access-<pid>.log (deleted)`): a proxy that is killed runs no close hook, and its log must not
  // stay on disk
  // Created safely: in a private directory of its own (0700, a fresh name), exclusively and never through a
  // symlink, so nothing planted at a predictable path in the shared temp directory is opened or appended to.
  let anchor: number | null = null;
  let dir: string | null = null;
  try {
    dir = mkdtempSync(join(tmpdir(), 'handoff-fdleak-'));
    const path = join(dir, `handoff-access-${process.pid}.log`);
    anchor = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    rmSync(path, { force: true });
  } catch {
    // no log at all then: the fault just leaks nothing
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  let served = 0;
  return {
    onConnection() {
      served++;
      if (anchor === null) return;
      try {
        const fd = openSync(`/proc/self/fd/${anchor}`, 'a');
        writeSync(fd, `${Date.now()} connection ${served}\n`);
        if (!leaks()) closeSync(fd); // the bug: on a leaky connection, closeSync(fd) is missing
      } catch {
        // EMFILE once the leak has eaten the limit: logging stops, serving must not
      }
    },
    forwardHooks: {},
    helperProcesses: 0,
    async close() {
      if (anchor !== null) closeSync(anchor);
      anchor = null;
    },
  };
}
