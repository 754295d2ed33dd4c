// Churn and flood on more than one core: N worker threads (thread-worker.ts), each running the same generator with
// a share of the connections, and one merged outcome. A worker gets a context it can rebuild (plain data: the
// statuses that count as success, the run's token prefix, the clock's origin); what only the harness can do
// (who holds a connection without EOF) it asks synchronously over a SharedArrayBuffer. Every worker is
// terminated before run() returns, on every path.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiled } from '../../paths.js';
import { parseCount } from '../../util/duration.js';
import { UsageError } from '../../util/errors.js';
import type { OwnedSocket } from '../probes/types.js';
import { EntryReader } from './entry.js';
import { takeRamp, withRamp } from './ramp.js';
import {
  holderLookup,
  MAX_INCIDENTS,
  roundMs,
  type GeneratorDefaults,
  type GeneratorFactory,
  type LoadContext,
  type LoadGenerator,
  type LoadOutcome,
} from './generator.js';
import { mergeOutcomes } from './merge.js';
import { failedOutcome } from './rounds.js';

export const MAX_THREADS = 64;

/** What the machine can spare next to the target: half its cores, at least one. */
export const spareThreads = (): number => Math.max(1, Math.floor(availableParallelism() / 2));

/** An entry's `threads` (or the run's --load-threads, else spareThreads()). */
export function readThreads(r: EntryReader, defaults: GeneratorDefaults): number {
  return r.count('threads', defaults.threads ?? spareThreads(), 1, MAX_THREADS);
}

/** --load-threads (or a config's run.loadThreads), named as the user wrote it in errors. */
export function parseLoadThreads(text: string, name: string): number {
  const n = parseCount(text, name, 1);
  if (n > MAX_THREADS) throw new UsageError(`${name} must be at most ${MAX_THREADS}`);
  return n;
}

export type ThreadedKind = 'churn' | 'flood';

/**
 * The suite with every churn and flood entry run in `threads` threads (--load-threads overrides each entry's own
 * "threads", as --connections does its connections). Pure.
 */
export function withLoadThreads<S extends { load: Record<string, unknown>[] }>(suite: S, threads: number | undefined): S {
  if (threads === undefined) return suite;
  return { ...suite, load: suite.load.map((e) => (e.generator === 'churn' || e.generator === 'flood' ? { ...e, threads } : e)) };
}

/** The plain generator for one thread, or the threaded one (never more threads than connections). */
export function threaded<C extends { connections: number; durationMs: number }>(
  kind: ThreadedKind,
  name: string,
  config: C,
  threads: number,
  make: (c: C) => LoadGenerator,
): LoadGenerator {
  const n = Math.min(threads, config.connections);
  return n <= 1 ? make(config) : new ThreadedGenerator(kind, name, config, n);
}

/**
 * The factory of a generator that can run in threads (churn, flood): its entry read by `read` (all but `ramp`
 * and `threads`, which are read here), then ramped and threaded alike.
 */
export function threadedFactory<C extends { connections: number; durationMs: number }>(
  kind: ThreadedKind,
  read: (r: EntryReader, defaults: GeneratorDefaults) => C,
  make: (name: string, config: C) => LoadGenerator,
): GeneratorFactory {
  return (name, entry, defaults) => {
    const { ramp, rest } = takeRamp(`load "${name}"`, entry);
    const r = new EntryReader(`load "${name}"`, rest);
    const config = read(r, defaults);
    const threads = readThreads(r, defaults);
    r.done();
    return withRamp(name, ramp, config.connections, config.durationMs, (stage) =>
      threaded(kind, name, { ...config, ...stage }, threads, (c) => make(name, c)),
    );
  };
}

/** `total` connections over `n` threads, as even as integers allow. */
export function shares(total: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** One thread's config: its connections, and of an overall rate (churn's) the same share. */
export function shareOf<C extends { connections: number; rate?: number }>(config: C, connections: number): C {
  const rate = config.rate ? { rate: (config.rate * connections) / config.connections } : {};
  return { ...config, connections, ...rate };
}

/** The part of a LoadContext a worker thread can rebuild. */
export interface WorkerContext {
  mode: LoadContext['mode'];
  targetKind?: LoadContext['targetKind'];
  target: LoadContext['target'];
  origin: LoadContext['origin'];
  checkTokens: boolean;
  /** every status from 100 to 599 that ctx.expectStatus accepts */
  expected: number[];
  /** performance.timeOrigin + performance.now() at the harness's clock zero */
  clockZero: number;
  /** the run's token prefix, so cross-talk between threads is still told from a foreign body */
  tokenPrefix: string;
  proxyAuthorization?: string;
  durationScale?: number;
  strictProtocol?: boolean;
}

export interface WorkerJob {
  kind: ThreadedKind;
  name: string;
  config: unknown;
  index: number;
  ctx: WorkerContext;
  /** Int32 [0] state (0 waiting, 1 answered), [1] byte length; bytes from offset 8: the holders' JSON */
  holders: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'live'; requests: number; errors: number }
  | { type: 'holders'; port: number }
  | { type: 'done'; outcome: LoadOutcome };

export const HOLDERS_BYTES = 64 * 1024;

/**
 * The threads' outcomes as one: merged side by side (merge.ts: counts add up, the longest thread's duration,
 * percentiles exact from every thread's histograms), incidents in time order with ids naming their thread.
 */
export function mergeThreadParts(parts: LoadOutcome[]): LoadOutcome {
  const tagged = parts.map((o, i) => ({ ...o, incidents: o.incidents.map((x) => ({ ...x, id: `t${i + 1}:${x.id}` })) }));
  const merged = mergeOutcomes(tagged, { parallel: true });
  merged.incidents = tagged
    .flatMap((o) => o.incidents)
    .sort((a, b) => (a.atMs ?? 0) - (b.atMs ?? 0))
    .slice(0, MAX_INCIDENTS);
  merged.stats.extra = { ...merged.stats.extra, threads: parts.length };
  return merged;
}

export function workerContext(ctx: LoadContext): WorkerContext {
  const sample = ctx.nextToken('threads');
  const expected: number[] = [];
  for (let s = 100; s < 600; s++) if (ctx.expectStatus(s)) expected.push(s);
  return {
    mode: ctx.mode,
    ...(ctx.targetKind ? { targetKind: ctx.targetKind } : {}),
    // plain endpoints: a caller's may be a richer object (a helper with methods) that cannot cross threads
    target: { host: ctx.target.host, port: ctx.target.port },
    origin: { host: ctx.origin.host, port: ctx.origin.port },
    checkTokens: ctx.checkTokens,
    expected,
    clockZero: performance.timeOrigin + performance.now() - ctx.clock(),
    // tokens are `<run prefix>-<generator>-<n>` (run.ts): each thread keeps the prefix and numbers its own
    tokenPrefix: sample.slice(0, sample.indexOf('-') + 1) || 'tk-',
    ...(ctx.proxyAuthorization ? { proxyAuthorization: ctx.proxyAuthorization } : {}),
    ...(ctx.durationScale !== undefined ? { durationScale: ctx.durationScale } : {}),
    ...(ctx.strictProtocol !== undefined ? { strictProtocol: ctx.strictProtocol } : {}),
  };
}

/** how long past its round a thread may go before it is terminated (its own deadlines are far shorter) */
const GRACE_MS = 30_000;

export class ThreadedGenerator<C extends { connections: number; durationMs: number; rate?: number }> implements LoadGenerator {
  private readonly lives: { requests: number; errors: number }[] = [];
  constructor(
    readonly kind: ThreadedKind,
    readonly name: string,
    readonly config: C,
    readonly threads: number,
  ) {}

  live(): { requests: number; errors: number } {
    return this.lives.reduce((a, b) => ({ requests: a.requests + b.requests, errors: a.errors + b.errors }), { requests: 0, errors: 0 });
  }

  async run(ctx: LoadContext): Promise<LoadOutcome> {
    const wctx = workerContext(ctx);
    const lookup = holderLookup(ctx);
    const file = compiled('src/harness/load/thread-worker.js');
    // every thread starts its load once all have loaded their code: one window of load, not staggered starts
    const starts: (() => void)[] = [];
    let waiting = this.threads;
    const ready = (): void => {
      if (--waiting === 0) for (const go of starts) go();
    };
    const parts = await Promise.all(
      shares(this.config.connections, this.threads).map((connections, index) => {
        this.lives[index] = { requests: 0, errors: 0 };
        const job = {
          kind: this.kind,
          name: this.name,
          config: shareOf(this.config, connections),
          index,
          ctx: wctx,
          holders: new SharedArrayBuffer(8 + HOLDERS_BYTES),
        };
        return this.runThread(file, ctx, job, lookup, ready, (go) => starts.push(go));
      }),
    );
    return mergeThreadParts(parts);
  }

  private runThread(
    file: string,
    ctx: LoadContext,
    job: WorkerJob,
    lookup: (port: number | undefined) => OwnedSocket[] | undefined,
    ready: () => void,
    onGo: (go: () => void) => void,
  ): Promise<LoadOutcome> {
    return new Promise<LoadOutcome>((resolve) => {
      const worker = new Worker(file, { workerData: job });
      let isReady = false;
      const markReady = (): void => {
        if (isReady) return;
        isReady = true;
        ready();
      };
      onGo(() => worker.postMessage({ type: 'go' }));
      const state = new Int32Array(job.holders, 0, 2);
      const bytes = new Uint8Array(job.holders, 8);
      let part: LoadOutcome | null = null;
      const abort = (): void => worker.postMessage({ type: 'abort' });
      if (ctx.signal.aborted) abort();
      else ctx.signal.addEventListener('abort', abort, { once: true });
      const hang = setTimeout(() => {
        part ??= failedOutcome(
          this.name,
          new Error(`load thread ${job.index + 1} did not finish within ${GRACE_MS} ms of its round`),
          ctx.clock,
        );
        void worker.terminate();
      }, roundMs(ctx, this.config.durationMs) + GRACE_MS);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') markReady();
        else if (m.type === 'live') this.lives[job.index] = { requests: m.requests, errors: m.errors };
        else if (m.type === 'holders') {
          // the worker waits on state[0]; a list too long for the buffer is cut to what fits
          let list = lookup(m.port);
          let json = Buffer.from(JSON.stringify(list ?? null));
          while (json.length > HOLDERS_BYTES && list && list.length) {
            list = list.slice(0, Math.floor(list.length / 2));
            json = Buffer.from(JSON.stringify(list));
          }
          bytes.set(json);
          Atomics.store(state, 1, json.length);
          Atomics.store(state, 0, 1);
          Atomics.notify(state, 0);
        } else if (m.type === 'done') {
          this.lives[job.index] = { requests: m.outcome.stats.requests, errors: m.outcome.stats.errors + m.outcome.stats.timeouts };
          part = m.outcome;
          // its sockets are closed and its timers cleared; nothing of it may outlive the run
          void worker.terminate();
        }
      });
      worker.on('error', (err) => {
        part ??= failedOutcome(this.name, err, ctx.clock);
      });
      worker.on('exit', () => {
        // a thread that died before it was ready must not hold the others back
        markReady();
        clearTimeout(hang);
        ctx.signal.removeEventListener('abort', abort);
        resolve(part ?? failedOutcome(this.name, new Error(`load thread ${job.index + 1} exited without a result`), ctx.clock));
      });
    });
  }
}
