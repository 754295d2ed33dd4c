// Churn and flood in worker threads (load/threads.ts): one merged outcome whose counts are the sum of the threads',
// the same evidence as one thread (tokens, EOFs, incidents, who held a connection open), nothing left running,
// and bad thread counts a usage error.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { createGenerator } from '../../src/harness/load/index.js';
import { LatencyRecorder, type LoadOutcome } from '../../src/harness/load/generator.js';
import { mergeThreadParts, shareOf, shares, withLoadThreads } from '../../src/harness/load/threads.js';
import { UsageError } from '../../src/util/errors.js';
import { cliPath } from '../../src/paths.js';
import { fakeServer } from '../helpers/fake-server.js';
import { loadContext, startRig } from './helpers.js';
import { CASES } from '../harness/canary-cases.js';
import { markedPids, runCli, tempReportDir } from '../harness/helpers.js';

/** OS threads of this process: a worker thread that outlived its run would show here */
const osThreads = (): number => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

const outcome = (requests: number, p50: number, extra: Record<string, number>, durationMs: number): LoadOutcome => ({
  stats: {
    generator: 'churn',
    durationMs,
    requests,
    errors: 1,
    timeouts: 0,
    statuses: { '200': requests },
    latencyMs: { p50, p90: p50, p99: p50, max: p50, mean: p50 },
    extra,
  },
  counts: { 'no-eof': 1 },
  tokensChecked: requests,
  eofChecked: requests,
  incidents: [{ kind: 'no-eof', generator: 'churn', id: 'conn-1/w1', detail: 'x', atMs: durationMs }],
});

t.test('shares, rates and the pure merge', async (t) => {
  t.same(shares(5, 2), [3, 2]);
  t.same(shares(4, 4), [1, 1, 1, 1]);
  t.same(
    shareOf({ connections: 4, rate: 100, durationMs: 1 }, 1),
    { connections: 1, rate: 25, durationMs: 1 },
    'an overall rate is shared like the connections',
  );
  t.same(shareOf({ connections: 4, rate: 0, durationMs: 1 }, 2).rate, 0, 'unlimited stays unlimited');

  const fast = new LatencyRecorder();
  const slow = new LatencyRecorder();
  for (let i = 0; i < 90; i++) fast.record(1);
  for (let i = 0; i < 10; i++) slow.record(100);
  const m = mergeThreadParts([
    {
      ...outcome(90, 1, { connectionsOpened: 90, eofChecked: 90, eofP50Ms: 1 }, 1000),
      histograms: { latency: fast.encode(), eof: fast.encode() },
    },
    {
      ...outcome(10, 100, { connectionsOpened: 10, eofChecked: 10, eofP50Ms: 100 }, 900),
      histograms: { latency: slow.encode(), eof: slow.encode() },
    },
  ]);
  t.equal(m.stats.requests, 100, 'requests add up');
  t.same(m.stats.statuses, { '200': 100 });
  t.equal(m.tokensChecked, 100);
  t.equal(m.eofChecked, 100);
  t.same(m.counts, { 'no-eof': 2 });
  t.equal(m.stats.errors, 2);
  t.equal(m.stats.durationMs, 1000, 'threads ran side by side: the longest one');
  t.equal(m.stats.extra?.connectionsOpened, 100);
  t.equal(m.stats.extra?.threads, 2);
  t.equal(m.stats.latencyMs.p50, 1, 'p50 from the added histograms (an average by requests would say 10.9)');
  t.ok(Math.abs(m.stats.latencyMs.p99 - 100) < 0.2, 'p99 exact too');
  t.equal(m.stats.extra?.eofP50Ms, 1, 'EOF percentiles exact, not summed');
  t.same(
    m.incidents.map((i) => i.id),
    ['t2:conn-1/w1', 't1:conn-1/w1'],
    'incident ids name their thread, in time order',
  );
});

t.test('--load-threads sets churn and flood entries only', async (t) => {
  const suite = { name: 's', load: [{ generator: 'churn', threads: 1 }, { generator: 'flood' }, { generator: 'tunnel' }] };
  t.same(withLoadThreads(suite, 3).load, [{ generator: 'churn', threads: 3 }, { generator: 'flood', threads: 3 }, { generator: 'tunnel' }]);
  t.equal(withLoadThreads(suite, undefined), suite);
});

t.test('bad thread counts are usage errors', async (t) => {
  for (const threads of [0, 65, 1.5, '2']) {
    t.throws(
      () => createGenerator({ generator: 'churn', threads }, { durationMs: 100, connections: 2 }, 0),
      UsageError,
      `threads: ${JSON.stringify(threads)}`,
    );
  }
  t.throws(
    () => createGenerator({ generator: 'tunnel', threads: 2 }, { durationMs: 100, connections: 2 }, 0),
    UsageError,
    'tunnel has no threads',
  );
  for (const value of ['0', '65', 'two']) {
    const r = spawnSync(process.execPath, [cliPath(), 'stress', '--quiet', '--load-threads', value], { encoding: 'utf8', timeout: 30_000 });
    t.equal(r.status, 2, `--load-threads ${value}: exit 2`);
    t.match(r.stderr, /--load-threads/);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

t.test('threads=2 against the reference proxy: one merged outcome, every answer checked, no thread left', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const before = osThreads();
  for (const generator of ['churn', 'flood']) {
    const g = createGenerator({ generator, connections: 4, threads: 2, duration: 800 }, { durationMs: 800, connections: 4 }, 0);
    const o = await g.run(loadContext(rig.target, rig.origin));
    t.equal(o.stats.extra?.threads, 2, `${generator}: two threads`);
    t.ok(o.stats.requests > 0, `${generator}: ${o.stats.requests} answers`);
    t.equal(o.stats.statuses['200'], o.stats.requests, 'every answer a 200');
    t.equal(o.tokensChecked, o.stats.requests, 'every token checked');
    t.same(o.counts, {}, 'no incident');
    t.equal(g.live?.().requests, o.stats.requests, 'the live counters end at the outcome');
    if (generator === 'churn') {
      t.equal(o.eofChecked, o.stats.requests, 'every EOF timed');
      t.equal(o.stats.extra?.connectionsOpened, o.stats.requests);
    }
    t.equal(osThreads(), before, `${generator}: no worker thread outlives the run`);
  }
});

t.test('a server that never closes: no-eof in every thread, holders asked of the harness (three in all)', async (t) => {
  const srv = await fakeServer((s) => s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')));
  t.teardown(() => srv.close());
  const lookups: number[] = [];
  const ctx = loadContext({ host: '127.0.0.1', port: srv.port }, { host: '127.0.0.1', port: 1, echoPort: 1 } as never, {
    mode: 'server',
    checkTokens: false,
    holdersOf: (port) => {
      lookups.push(port);
      return [{ pid: 4242, fd: 7, inode: 1, state: 'ESTABLISHED' } as never];
    },
  });
  const g = createGenerator(
    { generator: 'churn', connections: 2, threads: 2, duration: 900, eofBound: 200 },
    { durationMs: 900, connections: 2 },
    0,
  );
  const o = await g.run(ctx);
  t.ok((o.counts['no-eof'] ?? 0) >= 4, `no-eof counted (${o.counts['no-eof']})`);
  t.equal(o.eofChecked, o.stats.requests, 'each answered connection EOF-timed');
  t.equal(lookups.length, 3, 'three holder lookups for the whole generator, as with one thread');
  const withHolders = o.incidents.filter((i) => i.holders && i.holders.length > 0);
  t.equal(withHolders.length, 3);
  t.equal(withHolders[0].holders![0].pid, 4242, 'the holders the harness found reach the incident');
  t.ok(new Set(o.incidents.map((i) => i.id)).size === o.incidents.length, 'incident ids unique across threads');
});

t.test('a canary leak is still caught with --load-threads 2 (per-connection no-parent-close)', async (t) => {
  const c = CASES.find((x) => x.name === 'per-connection no-parent-close')!;
  const dir = tempReportDir(t);
  const r = await runCli([
    'stress',
    ...c.args,
    '--load-threads',
    '2',
    '--report-dir',
    dir,
    '--drain',
    '2s',
    '--load-cap',
    '0',
    '--format',
    'json',
    '--quiet',
  ]);
  t.equal(r.code, 1, `exit 1 (stderr: ${r.stderr.slice(-300)})`);
  t.ok(r.report);
  if (!r.report) return;
  const churn = r.report.load.churn;
  t.equal(churn?.extra?.threads, 2, 'churn ran in two threads');
  for (const id of c.all ?? [])
    t.ok(
      r.report.checks.some((x) => x.id === id && !x.pass),
      `${id} fails`,
    );
  c.evidence(r.report, t);
  t.same(markedPids(r.report.runId), [], 'nothing carrying the run marker is left');
});

t.test('churn reads a response split over reads, and one framed by close (the shared read buffer is copied from)', async (t) => {
  const split = await fakeServer((s) =>
    s.once('data', (d) => {
      const token = /\/t\/(\S+)/.exec(d.toString())![1];
      s.write('HTTP/1.1 200 OK\r\nContent-Le');
      setTimeout(() => s.end(`ngth: ${token.length + 4}\r\n\r\n/t/${token}\n`), 20);
    }),
  );
  const close = await fakeServer((s) => s.once('data', (d) => s.end(`HTTP/1.0 200 OK\r\n\r\n${/\/t\/\S+/.exec(d.toString())![0]}`)));
  t.teardown(async () => {
    await split.close();
    await close.close();
  });
  for (const [name, srv] of [
    ['split', split],
    ['close-framed', close],
  ] as const) {
    const ctx = loadContext({ host: '127.0.0.1', port: srv.port }, { host: '127.0.0.1', port: 1, echoPort: 1 } as never, {
      mode: 'server',
      checkTokens: true,
    });
    const o = await createGenerator(
      { generator: 'churn', connections: 2, threads: 1, duration: 300 },
      { durationMs: 300, connections: 2 },
      0,
    ).run(ctx);
    t.ok(o.stats.requests > 2, `${name}: ${o.stats.requests} answers`);
    t.same(o.counts, {}, `${name}: no incident ${JSON.stringify(o.incidents[0] ?? null)}`);
    t.equal(o.tokensChecked, o.stats.requests, `${name}: every echoed token found`);
  }
});
