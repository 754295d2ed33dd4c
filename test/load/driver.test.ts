// The load driver (load/driver.ts): loops until the deadline, the signal or a budget, paced and pausing as told;
// open sockets destroyed on abort and each ended once; the outcome in the one shape.
import t from 'tap';
import { assembleOutcome, OpenSockets, RunTally, runConnectionLoops, noLatency } from '../../src/harness/load/driver.js';

t.test('N loops, slots from 1, until the deadline', async (t) => {
  const perSlot = new Map<number, number>();
  const until = Date.now() + 150;
  await runConnectionLoops({
    connections: 3,
    until,
    signal: new AbortController().signal,
    iteration: async (slot) => {
      perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 10));
    },
  });
  t.ok(Date.now() >= until, 'ends at the deadline');
  t.same([...perSlot.keys()].sort(), [1, 2, 3]);
  for (const n of perSlot.values()) t.ok(n >= 5, `each loop ran until then (${n})`);
});

t.test('a shared budget and the stop signal end every loop; the resolved pause is taken', async (t) => {
  let started = 0;
  await runConnectionLoops({
    connections: 4,
    until: Date.now() + 10_000,
    signal: new AbortController().signal,
    more: () => started < 7,
    iteration: async () => void started++,
  });
  t.equal(started, 7, 'the budget holds across loops');

  const stop = new AbortController();
  let n = 0;
  const t0 = Date.now();
  setTimeout(() => stop.abort(), 100);
  await runConnectionLoops({
    connections: 2,
    until: Date.now() + 10_000,
    signal: stop.signal,
    iteration: async () => {
      n++;
      return 20;
    },
  });
  t.ok(Date.now() - t0 < 1_000, 'aborted: the loops end');
  t.ok(n >= 4 && n <= 20, `a loop pauses as its iteration said (${n} in ~100 ms at 20 ms)`);
});

t.test('rate: iterations paced over all loops', async (t) => {
  let n = 0;
  await runConnectionLoops({
    connections: 4,
    until: Date.now() + 500,
    signal: new AbortController().signal,
    rate: 20,
    iteration: async () => void n++,
  });
  t.ok(n >= 8 && n <= 12, `about 20/s over 500 ms (${n})`);
});

t.test('open sockets: ended once; all destroyed on abort; the listener goes with the loops', async (t) => {
  const stop = new AbortController();
  const open = new OpenSockets(stop.signal);
  const destroyed: string[] = [];
  const sock = (name: string) => ({ destroy: () => void destroyed.push(name) });
  const a = open.add(sock('a'));
  const b = open.add(sock('b'));
  t.equal(open.end(a), true, 'first end settles');
  t.equal(open.end(a), false, 'second end does not');
  t.same(destroyed, ['a']);
  stop.abort();
  t.same(destroyed, ['a', 'b'], 'abort destroys what is open');
  t.equal(open.has(b), true, 'an aborted socket still ends through end()');
  t.equal(open.end(b), true);

  const later = new AbortController();
  const released = new OpenSockets(later.signal);
  const c = released.add(sock('c'));
  await runConnectionLoops({ connections: 1, until: 0, signal: later.signal, sockets: released, iteration: async () => {} });
  later.abort();
  t.same(destroyed, ['a', 'b', 'b'], 'released: abort no longer reaches it');
  t.equal(released.end(c), true);
});

t.test('the outcome in the one shape', async (t) => {
  const tally = new RunTally('g', () => 12.4);
  tally.status(200);
  tally.status(200);
  tally.status('close');
  tally.requests = 3;
  tally.tokensChecked = 2;
  tally.log.add('timeout', 'c-1', 'slow');
  const o = tally.outcome({ errors: 0, timeouts: 1, latencyMs: noLatency(), extra: { x: 1 } });
  t.match(o, {
    stats: { generator: 'g', requests: 3, errors: 0, timeouts: 1, statuses: { 200: 2, close: 1 }, extra: { x: 1 } },
    counts: { timeout: 1 },
    tokensChecked: 2,
    eofChecked: 0,
  });
  t.same(o.incidents, [{ kind: 'timeout', generator: 'g', id: 'c-1', detail: 'slow', atMs: 12 }]);
  t.equal('protocol' in o, false, 'no findings: no protocol key');
  const bare = assembleOutcome({
    generator: 'h',
    durationMs: 0,
    requests: 0,
    errors: 1,
    timeouts: 0,
    statuses: {},
    latencyMs: noLatency(),
    log: { counts: {}, incidents: [] },
    protocol: [],
  });
  t.same(
    Object.keys(bare.stats),
    ['generator', 'durationMs', 'requests', 'errors', 'timeouts', 'statuses', 'latencyMs'],
    'no extra given: none',
  );
  t.same(Object.keys(bare), ['stats', 'counts', 'tokensChecked', 'eofChecked', 'incidents']);
});

t.test('RunTally.end(): the duration is the load window, not the work after it', async (t) => {
  const tally = new RunTally('g', () => 0);
  await new Promise((r) => setTimeout(r, 30));
  tally.end();
  const window = tally.outcome({ errors: 0, timeouts: 0, latencyMs: noLatency() }).stats.durationMs;
  await new Promise((r) => setTimeout(r, 60));
  tally.end();
  const later = tally.outcome({ errors: 0, timeouts: 0, latencyMs: noLatency() }).stats.durationMs;
  t.ok(window >= 25 && window < 80, `the window (${window} ms)`);
  t.equal(later, window, 'neither the time since nor a second end() moves it');
});
