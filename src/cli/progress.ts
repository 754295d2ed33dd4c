// Progress of a run on stderr. On a terminal: one live line per phase, redrawn a few times a second
// (phase, elapsed/planned, req/s, errors, live children, fds), kept as a summary line when the phase ends. Not
// on a terminal (CI logs): no redraws — the phase's `name …` line when it starts (what scripts and a reader of a
// stuck log look for) and its summary line when it ends; so too on TERM=dumb. `--quiet` means no progress at all.
import type { Sample } from '../harness/probes/types.js';

export interface LiveLoad {
  requests: number;
  errors: number;
}

export interface ProgressSource {
  load(): LiveLoad;
  sample(): Sample | null;
}

export interface RunProgress {
  /** a phase began; plannedMs: its planned length or deadline, when known */
  phase(name: string, plannedMs: number | null): void;
  /** where the live numbers come from, once the sampler and the generators exist */
  watch(source: ProgressSource): void;
  /** any other line (kept above the live line) */
  log(line: string): void;
  /** ends the last phase line and stops the timer */
  stop(): void;
}

export interface ProgressOptions {
  write: (s: string) => void;
  /** live redraws (a terminal) or one line per phase */
  tty: boolean;
  /** terminal width: the live line is cut to it */
  columns?: number;
  intervalMs?: number;
  now?: () => number;
  prefix?: string;
}

/**
 * Whether live redraws (carriage returns, erase-line escapes) suit this stream: a terminal, and not one that
 * declares it cannot move the cursor (TERM=dumb: Emacs shells, some CI consoles). Otherwise one line per phase.
 */
export function canRedraw(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function treeCounts(sample: Sample | null): { children: number; fds: number } {
  if (!sample) return { children: 0, fds: 0 };
  return {
    children: sample.tree.filter((p) => p.depth >= 1 && p.state !== 'Z').length,
    fds: sample.tree.reduce((s, p) => s + p.fds.length, 0),
  };
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

interface PhaseState {
  name: string;
  plannedMs: number | null;
  start: number;
  startLoad: LiveLoad;
  peakChildren: number;
  peakFds: number;
  children: number;
  fds: number;
  /** (time, requests) a second ago, for the live rate */
  window: { t: number; requests: number }[];
}

export function createProgress(opts: ProgressOptions): RunProgress {
  const now = opts.now ?? (() => performance.now());
  const prefix = opts.prefix ?? 'handoff: ';
  const interval = opts.intervalMs ?? 250;
  let source: ProgressSource | null = null;
  let current: PhaseState | null = null;
  let timer: NodeJS.Timeout | null = null;
  let drawn = false;

  const load = (): LiveLoad => {
    try {
      return source?.load() ?? { requests: 0, errors: 0 };
    } catch {
      return { requests: 0, errors: 0 };
    }
  };
  const observe = (p: PhaseState): void => {
    const { children, fds } = treeCounts(source?.sample() ?? null);
    p.children = children;
    p.fds = fds;
    p.peakChildren = Math.max(p.peakChildren, children);
    p.peakFds = Math.max(p.peakFds, fds);
  };
  const loadPart = (p: PhaseState, live: boolean): string | null => {
    const l = load();
    const requests = l.requests - p.startLoad.requests;
    const errors = l.errors - p.startLoad.errors;
    if (requests === 0 && errors === 0 && p.name !== 'load') return null;
    const t = now();
    let rate: number;
    if (live) {
      p.window.push({ t, requests: l.requests });
      while (p.window.length > 1 && t - p.window[0].t > 1_000) p.window.shift();
      const first = p.window[0];
      rate = t > first.t ? ((l.requests - first.requests) * 1000) / (t - first.t) : 0;
    } else {
      rate = t > p.start ? (requests * 1000) / (t - p.start) : 0;
    }
    return live ? `${Math.round(rate)} req/s · ${errors} errors` : `${requests} requests (${Math.round(rate)} req/s) · ${errors} errors`;
  };
  const line = (p: PhaseState, live: boolean): string => {
    const elapsed = now() - p.start;
    const time = p.plannedMs !== null && live ? `${secs(elapsed)}/${secs(p.plannedMs)}` : secs(elapsed);
    const parts = [`${p.name.padEnd(8)} ${time}`];
    const lp = loadPart(p, live);
    if (lp) parts.push(lp);
    // once the target is gone (shutdown, verdict) there is no tree to describe
    if (source && (live ? p.fds > 0 : p.peakFds > 0))
      parts.push(live ? `children ${p.children} · fds ${p.fds}` : `peak children ${p.peakChildren} · peak fds ${p.peakFds}`);
    return parts.join(' · ');
  };
  const clear = (): void => {
    if (drawn) opts.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = (): void => {
    if (!current) return;
    observe(current);
    if (!opts.tty) return;
    let text = prefix + line(current, true);
    if (opts.columns && text.length > opts.columns - 1) text = text.slice(0, opts.columns - 1);
    opts.write(`\r\x1b[2K${text}`);
    drawn = true;
  };
  const endPhase = (): void => {
    if (!current) return;
    observe(current);
    clear();
    opts.write(`${prefix}${line(current, false)}\n`);
    current = null;
  };
  const ensureTimer = (): void => {
    if (timer) return;
    timer = setInterval(draw, interval);
    timer.unref();
  };

  return {
    phase(name, plannedMs) {
      endPhase();
      current = { name, plannedMs, start: now(), startLoad: load(), peakChildren: 0, peakFds: 0, children: 0, fds: 0, window: [] };
      if (!opts.tty) opts.write(`${prefix}${name} …\n`);
      ensureTimer();
      draw();
    },
    watch(s) {
      source = s;
      if (current) current.startLoad = load();
    },
    log(text) {
      clear();
      opts.write(`${prefix}${text}\n`);
      draw();
    },
    stop() {
      endPhase();
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
