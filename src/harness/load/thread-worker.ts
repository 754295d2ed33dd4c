// One load thread (threads.ts starts it): rebuilds a LoadContext from plain data, runs churn or flood with its
// share of the connections, posts running totals and then its outcome (churn: with its latency histograms).
import { parentPort, workerData } from 'node:worker_threads';
import type { ChurnConfig, ChurnGenerator } from './churn.js';
import type { FloodConfig, FloodGenerator } from './flood.js';
import type { LoadContext } from './generator.js';
import type { OwnedSocket } from '../probes/types.js';
import type { WorkerJob, WorkerMessage } from './threads.js';

const job = workerData as WorkerJob;
const port = parentPort!;
const post = (m: WorkerMessage): void => port.postMessage(m);
const stop = new AbortController();
let go!: () => void;
const started = new Promise<void>((resolve) => (go = resolve));
port.on('message', (m: { type: string }) => {
  if (m.type === 'abort') {
    stop.abort();
    go();
  } else if (m.type === 'go') go();
});

const state = new Int32Array(job.holders, 0, 2);
const bytes = new Uint8Array(job.holders, 8);
/** asks the harness thread and blocks until it answers (as the lookup blocks a single-threaded churn) */
function holdersOf(clientPort: number): OwnedSocket[] {
  Atomics.store(state, 0, 0);
  post({ type: 'holders', port: clientPort });
  if (Atomics.wait(state, 0, 0, 5_000) === 'timed-out') return [];
  const json = Buffer.from(bytes.subarray(0, Atomics.load(state, 1))).toString('utf8');
  return (JSON.parse(json) as OwnedSocket[] | null) ?? [];
}

const w = job.ctx;
const expected = new Set(w.expected);
let n = 0;
const ctx: LoadContext = {
  mode: w.mode,
  ...(w.targetKind ? { targetKind: w.targetKind } : {}),
  target: w.target,
  origin: w.origin,
  checkTokens: w.checkTokens,
  expectStatus: (s) => expected.has(s),
  clock: () => performance.timeOrigin + performance.now() - w.clockZero,
  signal: stop.signal,
  // unique across threads: the thread's number before each own sequence number
  nextToken: (g) => `${w.tokenPrefix}${g}-t${job.index + 1}.${(++n).toString(36)}`,
  holdersOf,
  ...(w.proxyAuthorization ? { proxyAuthorization: w.proxyAuthorization } : {}),
  ...(w.durationScale !== undefined ? { durationScale: w.durationScale } : {}),
  ...(w.strictProtocol !== undefined ? { strictProtocol: w.strictProtocol } : {}),
};

// a churn thread never loads autocannon: every thread's load waits for the slowest to be ready
const generator: ChurnGenerator | FloodGenerator =
  job.kind === 'churn'
    ? new (await import('./churn.js')).ChurnGenerator(job.name, job.config as ChurnConfig)
    : new (await import('./flood.js')).FloodGenerator(job.name, job.config as FloodConfig);
post({ type: 'ready' });
await started;
const ticker = setInterval(() => post({ type: 'live', ...generator.live() }), 200);
try {
  post({ type: 'done', outcome: await generator.run(ctx) });
} finally {
  clearInterval(ticker);
}
