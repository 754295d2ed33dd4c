// Processes the benchmarks start, and what they cost. Reference proxies go through the harness's own
// launcher (src/harness/target.ts); helper servers (origin, trivial server, minimal proxy, tinyproxy) through
// startHelper below. Either way each runs in its own process group, registered with the harness's last-resort
// cleanup (SIGINT/SIGTERM/exit of the bench kill it), and is killed as a group by the caller's finally.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { registerCleanup, signalGroup } from '../../src/harness/cleanup.js';
import { canConnect, launchTarget, type Target } from '../../src/harness/target.js';
import { clkTck, listChildren, pageSizeBytes, readProcFile, readPssBytes, readStat } from '../../src/harness/probes/proc-reader.js';
import { parseListening } from '../../src/proxy/protocol.js';
import { DEFAULT_PROXY_OPTIONS, type ProxyOptions } from '../../src/proxy/options.js';

export const BENCH_MARKER = 'HANDOFF_RUN_ID';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A started server: where it listens, its root pid (= its process group), and how to end it. */
export interface Running {
  readonly label: string;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** kills the whole process group; safe to call twice */
  stop(): Promise<void>;
}

function safeName(label: string): string {
  return label.replace(/[^a-z0-9.-]+/gi, '_');
}

/** The reference proxy with one strategy, through the harness's target launcher. */
export async function startProxy(label: string, options: Partial<ProxyOptions>, env: { runId: string; logsDir: string }): Promise<Running> {
  const runDir = join(env.logsDir, safeName(label));
  mkdirSync(runDir, { recursive: true });
  const target: Target = await launchTarget(
    { kind: 'reference-proxy', proxy: { ...DEFAULT_PROXY_OPTIONS, ...options } },
    { runId: env.runId, runDir },
  );
  let stopped = false;
  return {
    label,
    pid: target.pid,
    host: target.host,
    port: target.port,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await target.sweep({ graceMs: 1_000 });
      } finally {
        await target.dispose();
      }
    },
  };
}

export interface HelperSpec {
  label: string;
  argv: string[];
  /** how readiness shows: a `listening HOST:PORT` line on stdout, or accepting on a known port */
  ready: { kind: 'listening-line' } | { kind: 'port'; host: string; port: number };
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

/** Starts a helper server in its own process group and waits until it accepts. */
export async function startHelper(spec: HelperSpec, runId: string): Promise<Running> {
  const child: ChildProcess = spawn(spec.argv[0]!, spec.argv.slice(1), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...spec.env, [BENCH_MARKER]: runId },
  });
  const pid = child.pid ?? -1;
  const release = pid > 0 ? registerCleanup((sig) => void signalGroup(pid, sig)) : () => {};
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4096)));
  let out = '';
  let listening: { host: string; port: number } | null = null;
  child.stdout!.on('data', (c: Buffer) => {
    if (listening) return;
    out += c.toString('utf8');
    for (const line of out.split('\n')) listening ??= parseListening(line);
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + 1_000;
    while (Date.now() < deadline && signalGroup(pid, 0)) await sleep(20);
    signalGroup(pid, 'SIGKILL');
    await Promise.race([exit, sleep(2_000)]);
    child.stdout?.destroy();
    child.stderr?.destroy();
    release();
  };
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 15_000);
  try {
    for (;;) {
      if (child.exitCode !== null || exited)
        throw new Error(`${spec.label} exited before it accepted connections: ${stderr.trim().slice(-500)}`);
      if (spec.ready.kind === 'listening-line' && listening) break;
      if (spec.ready.kind === 'port' && (await canConnect(spec.ready.host, spec.ready.port))) {
        listening = { host: spec.ready.host, port: spec.ready.port };
        break;
      }
      if (Date.now() > deadline) throw new Error(`${spec.label} did not accept connections in time: ${stderr.trim().slice(-500)}`);
      await sleep(25);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const at = listening as { host: string; port: number };
  return { label: spec.label, pid, host: at.host, port: at.port, stop };
}

/** Runs fn with a started server and stops it (its whole group) on every path. */
export async function withRunning<T>(start: Promise<Running>, fn: (r: Running) => Promise<T>): Promise<T> {
  const running = await start;
  try {
    return await fn(running);
  } finally {
    await running.stop();
  }
}

/** Every descendant pid of root (root excluded). */
export function descendants(root: number): number[] {
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of listChildren(stack.pop()!)) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

const PSS_EVERY_MS = 1_000;

/** Resident set of root and all its descendants, in bytes. */
export function treeRssBytes(root: number): { children: number; rssBytes: number } {
  const pids = [root, ...descendants(root)];
  const page = pageSizeBytes();
  let rss = 0;
  for (const pid of pids) rss += (readStat(pid)?.rssPages ?? 0) * page;
  return { children: pids.length - 1, rssBytes: rss };
}

/** Proportional set size of root and its descendants (shared pages once), or null when none could be read. */
export function treePssBytes(root: number): number | null {
  let total = 0;
  let read = 0;
  for (const pid of [root, ...descendants(root)]) {
    const pss = readPssBytes(pid);
    if (pss === null) continue;
    total += pss;
    read++;
  }
  return read > 0 ? total : null;
}

/**
 * CPU time (ms) the tree of root has used so far: user+system of every live member (all threads) plus the
 * root's cutime+cstime, which holds the whole CPU of the children it has reaped. The difference of two readings
 * is the tree's CPU in between, children born and gone meanwhile included; unlike a rate, it barely moves
 * when other tenants of the machine take cores away.
 */
export function treeCpuMs(root: number): number {
  let ticks = 0;
  for (const pid of [root, ...descendants(root)]) {
    const st = readStat(pid);
    if (st) ticks += st.utimeTicks + st.stimeTicks;
  }
  const text = readProcFile(`/proc/${root}/stat`, 'single');
  if (text) {
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[13]) + Number(fields[14]); // cutime, cstime (fields 16, 17)
  }
  return (ticks * 1000) / clkTck();
}

/**
 * Polls the tree of root every intervalMs and keeps the peaks (live descendants, total RSS). A direct /proc
 * walk (children files + one stat per member) rather than the harness's Sampler: a benchmark needs only these
 * numbers, and every ms this process spends sampling is taken from the load generator sharing its loop. PSS
 * (shared pages once: the honest figure for forking trees) costs ~0.5 ms per Node process, so it is read once
 * a second and at stop().
 */
export class TreePeaks {
  children = 0;
  rssBytes = 0;
  pssBytes: number | null = null;
  private lastPssAt = 0;
  /** CPU of the tree between start() and stop() */
  cpuMs = 0;
  private cpuAtStart = 0;
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly root: number,
    private readonly intervalMs = 100,
  ) {}
  start(): this {
    this.cpuAtStart = treeCpuMs(this.root);
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs).unref();
    return this;
  }
  stop(): { children: number; rssBytes: number; pssBytes: number | null } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tick(true);
    this.cpuMs = treeCpuMs(this.root) - this.cpuAtStart;
    return { children: this.children, rssBytes: this.rssBytes, pssBytes: this.pssBytes };
  }
  private tick(last = false): void {
    const now = treeRssBytes(this.root);
    this.children = Math.max(this.children, now.children);
    this.rssBytes = Math.max(this.rssBytes, now.rssBytes);
    if (last || Date.now() - this.lastPssAt >= PSS_EVERY_MS) {
      this.lastPssAt = Date.now();
      const pss = treePssBytes(this.root);
      if (pss !== null) this.pssBytes = Math.max(this.pssBytes ?? 0, pss);
    }
  }
}

/** Waits until root has at most `resident` descendants (the previous cell's children are gone), or the deadline. */
export async function waitForRest(root: number, resident: number, deadlineMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (descendants(root).length <= resident) return true;
    await sleep(50);
  }
  return false;
}
