// The load phase's rounds: merged outcomes, the pace-based round length, and rounds until every floor is met.
import t from 'tap';
import { CHURN_AIM, createGenerator } from '../../src/harness/load/index.js';
import { mergeOutcomes } from '../../src/harness/load/merge.js';
import { AIM_BUDGET_MS, evidenceCounts, roundScale, runRounds } from '../../src/harness/load/rounds.js';
import { LatencyRecorder, type LoadContext, type LoadGenerator, type LoadOutcome } from '../../src/harness/load/generator.js';

const outcome = (requests: number, over: Partial<LoadOutcome> = {}): LoadOutcome => ({
  stats: {
    generator: 'g',
    durationMs: 1000,
    requests,
    errors: 1,
    timeouts: 0,
    statuses: { 200: requests },
    latencyMs: { p50: 1, p90: 2, p99: 4, max: 8, mean: 1.5 },
    extra: { cases: requests },
  },
  counts: { error: 1 },
  tokensChecked: requests,
  eofChecked: requests,
  incidents: [{ kind: 'error', generator: 'g', id: 'x', detail: 'd', atMs: 1 }],
  ...over,
});

t.test('mergeOutcomes adds counts up, weights the percentiles by requests and keeps the exact max', async (t) => {
  const a = outcome(100);
  const b = outcome(300, { stats: { ...outcome(300).stats, latencyMs: { p50: 5, p90: 6, p99: 8, max: 20, mean: 5.5 } } });
  const m = mergeOutcomes([a, b]);
  t.equal(m.stats.requests, 400);
  t.equal(m.stats.errors, 2);
  t.equal(m.stats.durationMs, 2000);
  t.same(m.stats.statuses, { 200: 400 });
  t.same(m.stats.extra, { cases: 400 });
  t.same(m.counts, { error: 2 });
  t.equal(m.eofChecked, 400);
  t.equal(m.stats.latencyMs.p50, 4);
  t.equal(m.stats.latencyMs.max, 20);
  t.equal(m.incidents.length, 2);
  const f = { generator: 'abuse', case: 'cl-te', expected: 'refused', got: '200', count: 2, example: 'a' };
  t.same(mergeOutcomes([outcome(1, { protocol: [f] }), outcome(1, { protocol: [{ ...f, count: 3 }] })]).protocol, [{ ...f, count: 5 }]);
});

t.test('rounds of churn merge their latency and EOF percentiles from the histograms, not from the summaries', async (t) => {
  // round one: 90 connections whose EOF came at 1 ms; round two: 10 at 100 ms, then 90 more at 1 ms in round three
  const round = (eofMs: number, n: number): LoadOutcome => {
    const lat = new LatencyRecorder();
    const eof = new LatencyRecorder();
    for (let i = 0; i < n; i++) {
      lat.record(eofMs * 2);
      eof.record(eofMs);
    }
    return outcome(n, {
      stats: {
        ...outcome(n).stats,
        latencyMs: lat.summary(),
        extra: { connectionsOpened: n, eofP50Ms: eof.summary().p50, eofMaxMs: eof.summary().max },
      },
      eofChecked: n,
      histograms: { latency: lat.encode(), eof: eof.encode() },
    });
  };
  // merged round by round, as runRounds does: each merge keeps the histograms for the next
  const m = [round(100, 10), round(1, 90)].reduce((a, b) => mergeOutcomes([a, b]), round(1, 90));
  t.equal(m.stats.extra?.connectionsOpened, 190);
  t.equal(m.stats.extra?.eofP50Ms, 1, "the median of all 190 EOFs (averaging the rounds' medians says 5.7, adding them 102)");
  t.ok(Math.abs(m.stats.extra!.eofMaxMs! - 100) < 0.1, "the max is the slowest round's");
  t.equal(m.stats.latencyMs.p50, 2, 'the response latency median, likewise');
  t.ok(Math.abs(m.stats.latencyMs.p99 - 200) < 0.2, 'p99 falls in the slow round: 10 of 190 are slower than 95 %');
  t.ok(m.histograms?.eof && m.histograms.latency, 'the merged histograms are kept for a further round');
  // without histograms (a generator that keeps none): weighted by what each round measured
  const bare = (o: LoadOutcome): LoadOutcome => ({ ...o, histograms: undefined });
  const w = mergeOutcomes([bare(round(1, 90)), bare(round(100, 10))]);
  t.equal(w.stats.extra?.eofP50Ms, 10.9, 'a weighted estimate, never a sum');
  t.equal(w.stats.extra?.eofMaxMs, 100, 'the max exact');
});

t.test('roundScale: as long as the pace so far needs, 1× to 8×', async (t) => {
  t.equal(roundScale({ generator: 'churn', unit: 'c', count: 50, floor: 100 }, 1500, 1500), 2, 'half-way: 1.25 × the time again');
  t.equal(roundScale({ generator: 'churn', unit: 'c', count: 99, floor: 100 }, 1500, 1500), 1);
  t.equal(roundScale({ generator: 'flood', unit: 'r', count: 0, floor: 200 }, 1500, 1500), 8, 'nothing yet: the longest round');
});

t.test('floors: defaults per generator, a suite entry overrides, bad values are usage errors', async (t) => {
  const defaults = { durationMs: 100, connections: 1 };
  t.same(createGenerator({ generator: 'churn' }, defaults, 0).floor?.min, 50);
  t.same(createGenerator({ generator: 'churn', floor: 5 }, defaults, 0).floor?.min, 5);
  t.same(createGenerator({ generator: 'abuse', cases: ['garbage', 'cl-te'] }, defaults, 0).floor?.min, 2, 'each case once');
  t.equal(createGenerator({ generator: 'chaos' }, defaults, 0).floor, undefined);
  t.throws(() => createGenerator({ generator: 'churn', floor: -1 }, defaults, 0), /floor must be an integer/);
  t.throws(() => createGenerator({ generator: 'chaos', floor: 3 }, defaults, 0), /has no evidence floor/);
});

function fake(name: string, perRound: number[], floor: number): LoadGenerator & { calls: number[] } {
  const calls: number[] = [];
  return {
    name,
    calls,
    floor: { unit: 'responses', min: floor, count: (o) => o.stats.requests },
    async run(ctx) {
      calls.push(ctx.durationScale ?? 1);
      return { ...outcome(perRound[calls.length - 1] ?? 0), stats: { ...outcome(perRound[calls.length - 1] ?? 0).stats, generator: name } };
    },
  };
}

t.test('runRounds: repeats only the short generators, stops a stalled one, respects the cap and the abort', async (t) => {
  const ctx = { clock: () => 0, signal: new AbortController().signal } as unknown as LoadContext;
  const fast = fake('fast', [500], 200);
  const slow = fake('slow', [40, 40, 40], 100);
  const dead = fake('dead', [0, 0, 0], 10);
  const { outcomes, rounds } = await runRounds([fast, slow, dead], ctx, 30_000);
  t.same(fast.calls, [1], 'met its floor in the first round');
  t.equal(slow.calls.length, 3, 'repeated until its floor: 40 + 40 + 40');
  t.ok(slow.calls[1] > 1, 'a later round is longer');
  t.equal(dead.calls.length, 2, 'gathered nothing in a whole round: not repeated again');
  t.equal(rounds, 3);
  t.same(
    evidenceCounts([fast, slow, dead], outcomes).map((c) => [c.count, c.floor]),
    [
      [500, 200],
      [120, 100],
      [0, 10],
    ],
  );
  let now = 0;
  const capped = await runRounds([fake('slow', [10, 10, 10, 10], 100)], { ...ctx, clock: () => (now += 20_000) } as LoadContext, 30_000);
  t.equal(capped.rounds, 2, 'the load cap ends the rounds');
  const aborted = new AbortController();
  aborted.abort();
  t.equal((await runRounds([fake('slow', [10, 10], 100)], { ...ctx, signal: aborted.signal } as LoadContext, 30_000)).rounds, 1);
});

t.test("aims: pursued for power once every floor is met, within the aims' time budget, never past the cap", async (t) => {
  const defaults = { durationMs: 100, connections: 1 };
  t.equal(createGenerator({ generator: 'churn' }, defaults, 0).floor?.aim, CHURN_AIM, 'churn aims past its floor by default');
  t.equal(createGenerator({ generator: 'churn', aim: 0 }, defaults, 0).floor?.aim, undefined, '"aim": 0 drops it');
  t.equal(createGenerator({ generator: 'churn', floor: 600 }, defaults, 0).floor?.aim, undefined, 'a floor above the aim makes it moot');
  t.throws(() => createGenerator({ generator: 'chaos', aim: 3 }, defaults, 0), /no evidence floor to aim past/);
  t.throws(() => createGenerator({ generator: 'churn', aim: 1.5 }, defaults, 0), /aim must be an integer/);

  const aiming = (perRound: number[], aim: number): LoadGenerator & { calls: number[] } => {
    const g = fake('churn', perRound, 50);
    return Object.assign(g, { floor: { ...g.floor!, aim } });
  };
  // 1 s rounds on a clock that moves 1 s a round: the floor is met at once, the aim takes rounds
  let now = 0;
  const clock = (): number => now;
  const ctx = { clock, signal: new AbortController().signal } as unknown as LoadContext;
  const g = aiming([100, 100, 100, 100, 100, 100], 300);
  const rounding = { ...ctx, clock: () => (now += 1000) } as unknown as LoadContext;
  const r = await runRounds([g], rounding, 30_000);
  t.ok(
    g.calls.length > 1 && evidenceCounts([g], r.outcomes)[0].count >= 300,
    `rounds until the aim: ${evidenceCounts([g], r.outcomes)[0].count}`,
  );
  t.equal(evidenceCounts([g], r.outcomes)[0].aim, 300, 'the report states the aim');
  // a target too slow for the aim: the aims' budget ends the rounds, well before the load cap
  now = 0;
  const slow = aiming(Array(40).fill(10), 10_000);
  const s = await runRounds([slow], { ...ctx, clock: () => (now += 1000) } as unknown as LoadContext, 30_000);
  t.ok(now <= AIM_BUDGET_MS + 2_000, `stopped within the aims' budget (clock at ${now} ms)`);
  t.ok(
    slow.calls.every((scale) => scale * 1000 <= AIM_BUDGET_MS),
    'no round longer than the budget left',
  );
  t.ok(evidenceCounts([slow], s.outcomes)[0].count < 10_000, 'short of its aim: that is not inconclusive, only less power');
  // --load-cap 0: one round, no aims
  const once = aiming([100, 100], 300);
  await runRounds([once], { ...ctx, clock: () => 0 } as unknown as LoadContext, 0);
  t.same(once.calls, [1]);
});
