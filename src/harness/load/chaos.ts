// chaos: what an operator or the kernel does to a server under load. SIGKILLs random children of the target at a
// bounded rate (the strategy must reap them — a killed child still in the table after `reapBound` is an
// incident — and replace what it needs), and optionally SIGTERMs the target itself mid-load (the run's
// clean-shutdown/no-orphans checks then judge that shutdown). Low descriptor limits are a target option of the
// suite (`"target": { "nofile": 256 }`), not a generator. Suite entry:
//   { "generator": "chaos", "kills": 10, "killEvery": "500ms", "killAfter": "300ms", "depth": "leaves" | 1,
//     "reapBound": "2s", "sigtermAfter": "3s" | "50%", "sigtermMinResponses": 20, "duration": "5s" }
import { readStat } from '../probes/proc-reader.js';
import { processKey, type ProcessSnapshot } from '../probes/types.js';
import { UsageError } from '../../util/errors.js';
import { parseDuration } from '../../util/duration.js';
import { EntryReader } from './entry.js';
import { takeKeys } from './entry-extra.js';
import { RunTally, sleep } from './driver.js';
import { LatencyRecorder, type GeneratorFactory, type LoadContext, type LoadGenerator, type LoadOutcome } from './generator.js';

export interface ChaosConfig {
  durationMs: number;
  /** most children killed in the run (0: none) */
  kills: number;
  killEveryMs: number;
  killAfterMs: number;
  /**
   * which processes to kill: a generation (1 = children of the root), or the leaves — processes below the root
   * with no children of their own: the workers, whatever wraps them (a shell script, a master)
   */
  depth: number | 'leaves';
  reapBoundMs: number;
  /** SIGTERM the target this long into the load (null: never) */
  sigtermAfterMs: number | null;
  /** …and not before the load has had this many responses (a slow target is still put under load first),
   *  unless the duration runs out */
  sigtermMinResponses: number;
  /** random source (tests make it deterministic) */
  random?: () => number;
}

/** Live (not zombie) processes at the given depth, or the leaves below the root, in a stable order. */
export function killCandidates(tree: ProcessSnapshot[], depth: number | 'leaves'): ProcessSnapshot[] {
  const live = tree.filter((p) => p.state !== 'Z');
  if (depth !== 'leaves') return live.filter((p) => p.depth === depth).sort((a, b) => a.pid - b.pid);
  const parents = new Set(live.map((p) => p.ppid));
  return live.filter((p) => p.depth >= 1 && !parents.has(p.pid)).sort((a, b) => a.pid - b.pid);
}

/** Waits until the process (pid, starttime) is gone from the process table; returns ms waited or null. */
export async function waitReaped(pid: number, starttime: number, boundMs: number): Promise<number | null> {
  const t0 = performance.now();
  for (let wait = 10; ; wait = Math.min(100, wait * 1.5)) {
    const s = readStat(pid);
    if (!s || s.starttime !== starttime) return performance.now() - t0;
    if (performance.now() - t0 >= boundMs) return null;
    await sleep(wait);
  }
}

export class ChaosGenerator implements LoadGenerator {
  private killed = 0;
  private unreaped = 0;
  constructor(
    readonly name: string,
    readonly config: ChaosConfig,
  ) {}

  live(): { requests: number; errors: number } {
    return { requests: 0, errors: this.unreaped };
  }

  async run(ctx: LoadContext): Promise<LoadOutcome> {
    // no runConnectionLoops: chaos opens no connections, its one loop is a kill schedule; only the tally is the driver's
    const tally = new RunTally(this.name, ctx.clock);
    const log = tally.log;
    const random = this.config.random ?? Math.random;
    const started = tally.started;
    const deadline = started + this.config.durationMs;
    const reapTimes = new LatencyRecorder();
    const reaping: Promise<void>[] = [];
    let attempts = 0;
    let noCandidate = 0;
    let sigterm: Promise<void> | null = null;
    if (this.config.kills > 0 && !ctx.tree) throw new Error('chaos: this run exposes no process tree to pick children from');
    if (this.config.sigtermAfterMs !== null && !ctx.terminateTarget)
      throw new Error('chaos: this run cannot SIGTERM its target under load');

    const sigtermAt = this.config.sigtermAfterMs === null ? Infinity : started + this.config.sigtermAfterMs;
    let nextKill = started + this.config.killAfterMs;
    const killedKeys = new Set<string>();
    while (Date.now() < deadline && !ctx.signal.aborted && !sigterm) {
      const now = Date.now();
      const flowing = (ctx.responses?.() ?? Infinity) >= this.config.sigtermMinResponses;
      // the deadline is the last moment: a SIGTERM that never comes would leave the shutdown unjudged
      if ((now >= sigtermAt && flowing) || (sigtermAt !== Infinity && now >= deadline - 100)) {
        sigterm = ctx.terminateTarget!();
        break;
      }
      if (this.killed < this.config.kills && now >= nextKill) {
        nextKill = now + this.config.killEveryMs;
        attempts++;
        // a process already killed may still be dying (not yet a zombie) or in an older sample: not again
        const victims = killCandidates(ctx.tree!(), this.config.depth).filter((p) => !killedKeys.has(processKey(p)));
        const victim = victims[Math.floor(random() * victims.length)];
        // the sample may be a moment old: kill only the very process it saw
        const stat = victim ? readStat(victim.pid) : null;
        if (!victim || !stat || stat.starttime !== victim.starttime || stat.state === 'Z') {
          noCandidate++;
        } else {
          try {
            process.kill(victim.pid, 'SIGKILL');
            killedKeys.add(processKey(victim));
            this.killed++;
            const id = `kill-${this.killed}`;
            reaping.push(
              waitReaped(victim.pid, victim.starttime, this.config.reapBoundMs).then((ms) => {
                if (ms !== null) reapTimes.record(ms);
                else {
                  this.unreaped++;
                  log.add(
                    'error',
                    id,
                    `killed child pid ${victim.pid} (${victim.cmdline.slice(0, 80)}) still in the process table ${this.config.reapBoundMs} ms later: not reaped`,
                  );
                }
              }),
            );
          } catch {
            noCandidate++; // it exited on its own in between
          }
        }
      }
      const wake = Math.min(deadline, sigtermAt, this.killed < this.config.kills ? nextKill : deadline);
      await sleep(Math.max(5, Math.min(100, wake - Date.now())));
    }
    await Promise.all(reaping);
    if (sigterm) await sigterm;
    const reap = reapTimes.summary();
    return tally.outcome({
      errors: log.count('error'),
      timeouts: 0,
      latencyMs: reap,
      extra: {
        kills: this.killed,
        killAttempts: attempts,
        noCandidate,
        reaped: reapTimes.count,
        unreaped: this.unreaped,
        reapMaxMs: reap.max,
        sigterm: sigterm ? 1 : 0,
      },
    });
  }
}

/** "3s", 3000 or "60%" (of the duration, so it scales with --duration) → ms. */
function parseAt(where: string, raw: unknown, durationMs: number): number {
  if (typeof raw === 'string' && /^\d+(\.\d+)?%$/.test(raw)) {
    const f = Number(raw.slice(0, -1)) / 100;
    if (f > 1) throw new UsageError(`${where} must be at most 100%`);
    return Math.round(f * durationMs);
  }
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
  if (typeof raw === 'string') return parseDuration(raw, where);
  throw new UsageError(`${where} must be a duration like "2s" or a share of the duration like "60%"`);
}

function chaosDepth(r: EntryReader, name: string, raw: unknown): number | 'leaves' {
  if (raw === undefined || raw === 'leaves') return r.oneOf('depth', ['leaves'] as const) ?? 'leaves';
  if (typeof raw !== 'number')
    throw new UsageError(`load "${name}".depth must be "leaves" or a generation from 1 (children of the root) to 16`);
  return r.count('depth', 1, 1, 16);
}

export const createChaos: GeneratorFactory = (name, entry, defaults) => {
  const { taken, rest } = takeKeys(entry, ['sigtermAfter']);
  const r = new EntryReader(`load "${name}"`, rest);
  const config: ChaosConfig = {
    durationMs: r.duration('duration', defaults.durationMs),
    kills: r.count('kills', 10, 0, 1_000),
    killEveryMs: r.duration('killEvery', 500),
    killAfterMs: r.duration('killAfter', 300),
    depth: chaosDepth(r, name, rest.depth),
    reapBoundMs: r.duration('reapBound', 2_000),
    sigtermAfterMs: null,
    sigtermMinResponses: r.count('sigtermMinResponses', 20, 0, 1_000_000),
  };
  r.count('connections', 1, 1); // accepted for a uniform suite; chaos opens no connections of its own
  r.done();
  if (taken.sigtermAfter !== undefined)
    config.sigtermAfterMs = parseAt(`load "${name}".sigtermAfter`, taken.sigtermAfter, config.durationMs);
  if (config.killEveryMs < 50) throw new UsageError(`load "${name}".killEvery must be at least 50ms (kills are rate-bounded)`);
  if (config.kills === 0 && config.sigtermAfterMs === null)
    throw new UsageError(`load "${name}": chaos with no kills and no sigtermAfter does nothing`);
  return new ChaosGenerator(name, config);
};
