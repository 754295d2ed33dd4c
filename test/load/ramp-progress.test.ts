// Pure parts: ramp stages and merging, and the progress output on a terminal and in a log.
import t from 'tap';
import { rampStages, RampedGenerator, takeRamp } from '../../src/harness/load/ramp.js';
import { mergeOutcomes } from '../../src/harness/load/merge.js';
import type { LoadContext, LoadGenerator, LoadOutcome } from '../../src/harness/load/generator.js';
import { createProgress } from '../../src/cli/progress.js';
import type { Sample } from '../../src/harness/probes/types.js';

t.test('ramp stages rise to the peak, then hold it', async (t) => {
  t.same(rampStages({ from: 4, overMs: 3_000, steps: 3 }, 16, 10_000), [
    { connections: 4, durationMs: 1_000 },
    { connections: 8, durationMs: 1_000 },
    { connections: 12, durationMs: 1_000 },
    { connections: 16, durationMs: 7_000 },
  ]);
  // the ramp never eats more than half the duration (a short --duration keeps a hold at the peak)
  const short = rampStages({ from: 1, overMs: 5_000, steps: 2 }, 9, 1_000);
  t.same(short, [
    { connections: 1, durationMs: 250 },
    { connections: 5, durationMs: 250 },
    { connections: 9, durationMs: 500 },
  ]);
  t.same(rampStages({ from: 8, overMs: 1_000, steps: 4 }, 4, 2_000), [{ connections: 4, durationMs: 2_000 }], 'from ≥ peak: no ramp');
  t.same(takeRamp('x', { generator: 'flood', ramp: { from: 2, over: '2s' } }), {
    ramp: { from: 2, overMs: 2_000, steps: 4 },
    rest: { generator: 'flood' },
  });
  t.throws(() => takeRamp('x', { ramp: [] }), /must be an object/);
});

t.test('a ramped generator runs its stages in turn and merges them', async (t) => {
  const outcome = (requests: number, p99: number): LoadOutcome => ({
    stats: {
      generator: 'g',
      durationMs: 10,
      requests,
      errors: 1,
      timeouts: 0,
      statuses: { 200: requests },
      latencyMs: { p50: 1, p90: 2, p99, max: p99, mean: 1 },
      extra: { noEof: 1, eofMaxMs: p99 },
    },
    counts: { error: 1 },
    tokensChecked: requests,
    eofChecked: 0,
    incidents: [],
  });
  const seen: number[] = [];
  const g = new RampedGenerator(
    'g',
    [
      { connections: 1, durationMs: 5 },
      { connections: 3, durationMs: 5 },
    ],
    (stage): LoadGenerator => ({
      name: 'g',
      run: async () => {
        seen.push(stage.connections);
        return outcome(stage.connections * 10, stage.connections);
      },
    }),
  );
  const o = await g.run({ signal: new AbortController().signal } as LoadContext);
  t.same(seen, [1, 3]);
  t.equal(o.stats.requests, 40);
  t.equal(o.stats.errors, 2);
  t.same(o.stats.statuses, { 200: 40 });
  t.equal(o.stats.latencyMs.p99, 3, 'worst stage percentile');
  t.equal(o.stats.extra?.noEof, 2, 'counts add up');
  t.equal(o.stats.extra?.eofMaxMs, 3, 'ms extras keep the worst');
  t.equal(o.stats.extra?.peakConnections, 3);
  t.equal(o.counts.error, 2);
  t.equal(o.stats.extra?.stages, 2);
  t.equal(mergeOutcomes([], {}, 'none').stats.requests, 0);
});

const sample = (children: number, fds: number): Sample => ({
  t: 0,
  tree: [
    {
      pid: 1,
      starttime: 1,
      ppid: 0,
      pgrp: 1,
      state: 'S',
      cmdline: 'root',
      depth: 0,
      fds: Array.from({ length: fds }, (_, i) => ({ fd: i, target: '/x', kind: 'file' as const, inode: null })),
      rssBytes: 0,
      cpuTicks: 0,
    },
    ...Array.from({ length: children }, (_, i) => ({
      pid: 10 + i,
      starttime: 1,
      ppid: 1,
      pgrp: 1,
      state: 'S',
      cmdline: 'child',
      depth: 1,
      fds: [],
      rssBytes: 0,
      cpuTicks: 0,
    })),
  ],
  orphans: [],
  sockets: [],
});

t.test('progress without a terminal: a start line and a summary line per phase, nothing in between', async (t) => {
  let out = '';
  let now = 0;
  let requests = 0;
  const p = createProgress({ write: (s) => (out += s), tty: false, now: () => now, intervalMs: 10_000 });
  p.watch({ load: () => ({ requests, errors: 1 }), sample: () => sample(3, 40) });
  p.phase('baseline', null);
  now = 500;
  p.phase('load', 2_000);
  requests = 1_000;
  now = 2_500;
  p.log('something happened');
  p.phase('drain', 5_000);
  now = 2_600;
  p.stop();
  const lines = out.trimEnd().split('\n');
  t.same(
    lines.filter((l) => l.endsWith(' …')),
    ['handoff: baseline …', 'handoff: load …', 'handoff: drain …'],
  );
  const rest = lines.filter((l) => !l.endsWith(' …'));
  t.equal(rest.length, 4, out);
  t.match(rest[0], /^handoff: baseline 0\.5s · peak children 3 · peak fds 40$/);
  t.match(rest[1], /^handoff: something happened$/);
  t.match(rest[2], /^handoff: load +2\.0s · 1000 requests \(500 req\/s\) · 0 errors · peak children 3 · peak fds 40$/);
  t.match(rest[3], /^handoff: drain/);
  t.notMatch(out, /\r/, 'no redraws in a log');
});

t.test('progress on a terminal: a live line redrawn in place, kept when the phase ends', async (t) => {
  let out = '';
  let now = 0;
  const p = createProgress({ write: (s) => (out += s), tty: true, now: () => now, intervalMs: 20, columns: 200 });
  p.watch({ load: () => ({ requests: Math.round(now), errors: Math.round(now / 100) }), sample: () => sample(5, 70) });
  p.phase('load', 3_000);
  for (let i = 0; i < 5; i++) {
    now += 200;
    await new Promise((r) => setTimeout(r, 30));
  }
  p.stop();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequence is what is tested
  t.match(out, /\r\x1b\[2Khandoff: load +\d\.\ds\/3\.0s · \d+ req\/s · [1-9]\d* errors · children 5 · fds 70/);
  t.ok(out.endsWith('\n'), 'the last state stays on screen');
  t.match(out, /handoff: load +1\.0s · 1000 requests/);
});
