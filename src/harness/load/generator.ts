// The one interface every load generator implements (flood, churn here; tunnel, abuse, chaos plug in the same
// way: a factory registered in load/index.ts that validates its suite entry and returns a LoadGenerator).
import type { LoadStats, ProtocolFinding } from '../../model/report.js';
import type { OwnedSocket, ProcessSnapshot } from '../probes/types.js';
import type { EncodedLatency } from './histogram.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface LoadContext {
  mode: 'proxy' | 'server';
  /** the reference proxy (whose behaviour handoff defines) or a command; absent: treated as the reference proxy */
  targetKind?: 'reference-proxy' | 'command';
  /** where load goes: the proxy (proxy mode) or the server itself (server mode) */
  target: Endpoint;
  /** the harness's origin; requests name it in absolute form in proxy mode */
  origin: Endpoint;
  /** whether responses carry the request's token (proxy mode, or server mode with --echo) */
  checkTokens: boolean;
  /** status codes counted as success */
  expectStatus: (status: number) => boolean;
  /** ms since run start (for incident timestamps) */
  clock: () => number;
  /** aborted when the load phase must end early (harness interrupted, target died) */
  signal: AbortSignal;
  /** a fresh unique token for one request */
  nextToken: (generator: string) => string;
  /** the harness's TCP echo (CONNECT destination of tunnels); absent when the run has none */
  echo?: Endpoint;
  /** the target's process tree as last sampled (chaos picks children to kill from it) */
  tree?: () => ProcessSnapshot[];
  /** SIGTERM the target now, under load; the run's shutdown phase judges this shutdown instead of its own */
  terminateTarget?: () => Promise<void>;
  /** responses all generators have had so far (from their live() counters) */
  responses?: () => number;
  /** the target's sockets (with pid and fd) still holding the connection from this local port open */
  holdersOf?: (clientPort: number) => OwnedSocket[];
  /**
   * a command target's answers to scripted cases count against the error budget (--strict-protocol); otherwise
   * they are protocol findings, reported apart. The reference proxy's are always checked exactly.
   */
  strictProtocol?: boolean;
  /** Proxy-Authorization value the target requires (the reference proxy run with credentials); every generator sends it */
  proxyAuthorization?: string;
  /** a later round of the load phase (rounds.ts) runs each generator this many times its own duration */
  durationScale?: number;
  /** the run directory (an external load tool's output is kept there) */
  runDir?: string;
  /** a process the harness started for the load (an external tool, leader of its own group): it and its group are never the target's orphans */
  ownChild?: (pid: number) => void;
}

/** The Proxy-Authorization line of a raw request head ('' when the target requires none). */
export const authLine = (ctx: LoadContext): string => (ctx.proxyAuthorization ? `Proxy-Authorization: ${ctx.proxyAuthorization}\r\n` : '');

/** A generator's duration in this round. */
export const roundMs = (ctx: LoadContext, ownMs: number): number => ownMs * (ctx.durationScale ?? 1);

export type IncidentKind = 'wrong-token' | 'missing-token' | 'unexpected-status' | 'error' | 'timeout' | 'no-eof' | 'malformed';

/** One thing that went wrong with one request or connection (kept as evidence; counts are in the stats). */
export interface Incident {
  kind: IncidentKind;
  generator: string;
  /** connection or request id, unique within the generator */
  id: string;
  detail: string;
  atMs: number | null;
  /** no-eof: who still held the connection open when the client gave up waiting (looked up for the first few) */
  holders?: OwnedSocket[];
}

export interface LoadOutcome {
  stats: LoadStats;
  /** counts per incident kind (complete, unlike `incidents`) */
  counts: Partial<Record<IncidentKind, number>>;
  /** responses whose token was compared */
  tokensChecked: number;
  /** connections whose EOF after the response was awaited (churn-like generators) */
  eofChecked: number;
  /** examples, capped */
  incidents: Incident[];
  /** how a command target answered scripted cases differently from what they expected (not gated by default) */
  protocol?: ProtocolFinding[];
  /**
   * the histograms behind the latency summary and churn's EOF percentiles, where the generator keeps them: what
   * lets rounds, stages and threads merge their percentiles exactly (merge.ts); never part of the report
   */
  histograms?: { latency?: EncodedLatency; eof?: EncodedLatency };
}

/** The least evidence a generator must gather before a verdict may pass, in its own unit. */
export interface EvidenceFloor {
  /** what is counted: "responses", "connections EOF-timed", "tunnels", "cases" */
  unit: string;
  min: number;
  /**
   * What the load aims for once every floor is met (≥ min), for power rather than for a verdict: churn aims at
   * enough connections for a 1-in-100 leak to strike twice with 95 % probability. Pursued for at most the aim's
   * time budget (rounds.ts), never a reason for an inconclusive verdict.
   */
  aim?: number;
  /** null: this outcome's evidence cannot be counted (an external tool whose output is in no known format) */
  count(outcome: LoadOutcome): number | null;
}

export interface LoadGenerator {
  /** unique within a suite, e.g. "flood" or "churn-2" */
  readonly name: string;
  /** set by the registry from the entry's `floor` (or the generator's default); absent: none */
  floor?: EvidenceFloor;
  run(ctx: LoadContext): Promise<LoadOutcome>;
  /** running totals while run() is under way (progress output); optional */
  live?(): { requests: number; errors: number };
}

/** Suite-level settings a generator entry inherits unless it overrides them. */
export interface GeneratorDefaults {
  durationMs: number;
  connections: number;
  /** --connections: replaces every entry's own (churn's excepted), up to each generator's cap */
  connectionsOverride?: number;
  /** --load-threads: worker threads of churn and flood entries without their own "threads" (default: spareThreads()) */
  threads?: number;
}

/** Builds a generator from its suite entry; throws UsageError on a bad entry. */
export type GeneratorFactory = (name: string, entry: Record<string, unknown>, defaults: GeneratorDefaults) => LoadGenerator;

export const MAX_INCIDENTS = 50;

/** Collects incidents with complete counts and a capped list of examples. */
export class IncidentLog {
  readonly counts: Partial<Record<IncidentKind, number>> = {};
  readonly incidents: Incident[] = [];
  constructor(
    private readonly generator: string,
    private readonly clock: () => number,
  ) {}
  add(kind: IncidentKind, id: string, detail: string, holders?: OwnedSocket[]): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    if (this.incidents.length >= MAX_INCIDENTS) return;
    this.incidents.push({ kind, generator: this.generator, id, detail, atMs: Math.round(this.clock()), ...(holders ? { holders } : {}) });
  }
  count(kind: IncidentKind): number {
    return this.counts[kind] ?? 0;
  }
}

/** Lookups of who holds a connection without EOF, per generator: each reads the tree's fds and a TCP table. */
const HOLDER_LOOKUPS = 3;

/**
 * The holders of the first few connections a generator saw without EOF (the rest repeat the story; a lookup
 * blocks the harness for as long as the TCP table takes to read, tens of ms under heavy churn).
 */
export function holderLookup(ctx: LoadContext): (clientPort: number | undefined) => OwnedSocket[] | undefined {
  let left = HOLDER_LOOKUPS;
  return (clientPort) => {
    if (!ctx.holdersOf || clientPort === undefined || left <= 0) return undefined;
    left--;
    return ctx.holdersOf(clientPort);
  };
}

// latencies in bounded memory: histogram.ts (kept importable from here)
export { LatencyRecorder, type EncodedLatency } from './histogram.js';
