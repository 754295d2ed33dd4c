// The one driver of the load generators, for what each used to write for itself:
//   runConnectionLoops — N loops side by side, each one connection (or case) after another until the deadline,
//                        the stop signal or a shared budget; an overall rate; a pause after a failure;
//   OpenSockets        — the sockets those loops hold open: all destroyed at once when the load is stopped, each
//                        connection ended exactly once (its settle-once finish), its abort listener always removed;
//   RunTally / assembleOutcome — what a run gathered (incidents, statuses, evidence counts) as its LoadOutcome;
//   CountingGenerator  — the class shell of a generator with running totals (churn, flood).
// churn, tunnel and the scripted cases (abuse, origin-faults) loop on it; flood (autocannon runs its own
// connections), chaos (no connections: a kill schedule) and external (another process's load) only assemble their
// outcome with it. The churn hot path runs through it: nothing here allocates per connection — no promise,
// closure or object per iteration beyond the iteration's own.
import type { LatencySummary, LoadStats, ProtocolFinding } from '../../model/report.js';
import { IncidentLog, type Incident, type IncidentKind, type LoadContext, type LoadGenerator, type LoadOutcome } from './generator.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long a loop pauses after a failed connection: no spinning on a dead target. */
export const FAILURE_PAUSE_MS = 20;

export interface ConnectionLoops {
  /** loops side by side, one per slot, numbered from 1 */
  connections: number;
  /** Date.now() past which no loop starts another iteration */
  until: number;
  /** aborted: no loop starts another iteration */
  signal: AbortSignal;
  /** checked before each iteration (a budget all loops share, e.g. a case count); false: the loop ends */
  more?: () => boolean;
  /** at most this many iterations per second over all loops (0 or absent: unlimited) */
  rate?: number;
  /** what the loops keep open: released when they have all ended (OpenSockets) */
  sockets?: OpenSockets;
  /**
   * One iteration — a connection or case from start to end; it never rejects. Resolves to the ms its loop pauses
   * before the next (FAILURE_PAUSE_MS after a failure), or to nothing.
   */
  iteration: (slot: number) => Promise<number | undefined> | Promise<void>;
}

/** Runs the loops until each has ended; the sockets' abort listener is removed on every path. */
export async function runConnectionLoops(o: ConnectionLoops): Promise<void> {
  const { until, signal, more, iteration } = o;
  const minGapMs = o.rate !== undefined && o.rate > 0 ? 1000 / o.rate : 0;
  // the start of the next iteration's turn, when paced: one turn every minGapMs, none banked while all were busy
  let nextTurn = Date.now();
  const loop = async (slot: number): Promise<void> => {
    while (Date.now() < until && !signal.aborted && (more === undefined || more())) {
      if (minGapMs > 0) {
        const turn = nextTurn;
        nextTurn = Math.max(nextTurn + minGapMs, Date.now());
        if (turn > Date.now()) await sleep(turn - Date.now());
        if (Date.now() >= until || signal.aborted) break;
      }
      const pause = await iteration(slot);
      if (pause) await sleep(pause);
    }
  };
  try {
    const loops: Promise<void>[] = [];
    for (let slot = 1; slot <= o.connections; slot++) loops.push(loop(slot));
    await Promise.all(loops);
  } finally {
    o.sockets?.release();
  }
}

/**
 * The sockets a generator's loops hold open. Stopping the load (the signal) destroys every one at once; each
 * connection then ends through end(), which is its settle-once guard: true only the first time for a socket (it
 * is destroyed and forgotten then), so a connection is judged on exactly one path and its timers cleared there.
 */
export class OpenSockets<S extends { destroy(): void } = { destroy(): void }> {
  private readonly open = new Set<S>();
  private readonly onAbort = (): void => {
    // destroyed but kept: each one's 'close' still ends it through end(), as an aborted connection
    for (const s of this.open) s.destroy();
  };

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  add(socket: S): S {
    this.open.add(socket);
    return socket;
  }

  /** not ended yet */
  has(socket: S): boolean {
    return this.open.has(socket);
  }

  /** Ends the connection: destroys and forgets the socket. False when it had already ended (settle once). */
  end(socket: S): boolean {
    if (!this.open.delete(socket)) return false;
    socket.destroy();
    return true;
  }

  /** the abort listener goes (runConnectionLoops calls it once the loops have ended) */
  release(): void {
    this.signal.removeEventListener('abort', this.onAbort);
  }
}

/** The shell of a generator that counts answers and failures as it goes, for live() (churn, flood). */
export abstract class CountingGenerator<C> implements LoadGenerator {
  /** running totals: what live() reports while run() is under way */
  protected readonly totals = { requests: 0, errors: 0 };
  constructor(
    readonly name: string,
    readonly config: C,
  ) {}

  live(): { requests: number; errors: number } {
    return { ...this.totals };
  }

  abstract run(ctx: LoadContext): Promise<LoadOutcome>;
}

/** A latency summary of no samples. */
export const noLatency = (): LatencySummary => ({ p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });

/** A run's stats as the report keeps them (its kind is set by whoever registered the generator), and the rest. */
export interface OutcomeParts extends Omit<LoadStats, 'kind' | 'extra'> {
  /** absent: the stats carry no `extra` */
  extra?: Record<string, number>;
  /** the incidents: complete counts and capped examples (an IncidentLog, or the same two built by hand) */
  log: { counts: Partial<Record<IncidentKind, number>>; incidents: Incident[] };
  tokensChecked?: number;
  eofChecked?: number;
  /** kept only when there is any */
  protocol?: ProtocolFinding[];
  histograms?: LoadOutcome['histograms'];
}

/** The LoadOutcome of a run, in the one shape every generator reports. */
export function assembleOutcome(p: OutcomeParts): LoadOutcome {
  const stats: LoadStats = {
    generator: p.generator,
    durationMs: p.durationMs,
    requests: p.requests,
    errors: p.errors,
    timeouts: p.timeouts,
    statuses: p.statuses,
    latencyMs: p.latencyMs,
  };
  if (p.extra) stats.extra = p.extra;
  return {
    stats,
    counts: p.log.counts,
    tokensChecked: p.tokensChecked ?? 0,
    eofChecked: p.eofChecked ?? 0,
    incidents: p.log.incidents,
    ...(p.protocol?.length ? { protocol: p.protocol } : {}),
    ...(p.histograms ? { histograms: p.histograms } : {}),
  };
}

/** What one run of a generator gathers as it goes: its incidents, statuses and evidence counts, and when it began. */
export class RunTally {
  readonly log: IncidentLog;
  readonly statuses: Record<string, number> = {};
  /** Date.now() when the run began */
  readonly started = Date.now();
  /** Date.now() when its load ended (end()); null: the outcome's own time */
  private ended: number | null = null;
  requests = 0;
  tokensChecked = 0;
  eofChecked = 0;

  constructor(
    readonly generator: string,
    clock: () => number,
  ) {
    this.log = new IncidentLog(generator, clock);
  }

  /** one more answer with this status (or label, e.g. "close") */
  status(key: number | string): void {
    const k = String(key);
    this.statuses[k] = (this.statuses[k] ?? 0) + 1;
  }

  /** the load is over: what follows (summaries, encoding) is not part of the run's duration */
  end(): void {
    this.ended ??= Date.now();
  }

  /** The run's outcome, its duration up to end() (else now); requests and evidence counts as tallied unless given. */
  outcome(p: Omit<OutcomeParts, 'generator' | 'durationMs' | 'statuses' | 'log' | 'requests'> & { requests?: number }): LoadOutcome {
    return assembleOutcome({
      generator: this.generator,
      durationMs: (this.ended ?? Date.now()) - this.started,
      requests: this.requests,
      statuses: this.statuses,
      log: this.log,
      tokensChecked: this.tokensChecked,
      eofChecked: this.eofChecked,
      ...p,
    });
  }
}
