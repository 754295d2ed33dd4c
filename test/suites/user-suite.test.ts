// Users' own suites (a file, no src/ change), their validation, and progress output without a terminal.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createGenerator } from '../../src/harness/load/index.js';
import { loadSuite } from '../../src/harness/suite.js';
import { stressOptionsFromFlags } from '../../src/cli/stress.js';
import { allSuites, failing, runCli, tempReportDir } from './helpers.js';

t.test('every shipped suite parses and builds its generators', async (t) => {
  t.ok(allSuites().length >= 9, allSuites().join(', '));
  for (const name of allSuites()) {
    const s = loadSuite(name);
    t.ok(s.description.length > 0, `${name} says what it does`);
    for (const [i, e] of s.load.entries())
      t.ok(createGenerator(e, { durationMs: s.durationMs, connections: s.connections }, i), `${name} load[${i}]`);
  }
});

t.test("suite target options apply under the user's flags", async (t) => {
  const severe = stressOptionsFromFlags({ suite: 'severe', strategy: 'per-connection' }, []);
  t.equal(severe.target.kind === 'reference-proxy' && severe.target.proxy.maxChildren, 8);
  t.equal(severe.target.nofile, 1024);
  const mine = stressOptionsFromFlags({ suite: 'severe', strategy: 'per-connection', maxChildren: '12', nofile: '2048' }, []);
  t.equal(mine.target.kind === 'reference-proxy' && mine.target.proxy.maxChildren, 12, 'the CLI wins');
  t.equal(mine.target.nofile, 2048);
  const dir = tempReportDir(t);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ load: [{ generator: 'flood' }], target: { strategy: 'fork' } }));
  t.throws(() => loadSuite(bad), /unknown target option "strategy"/);
  writeFileSync(bad, JSON.stringify({ load: [{ generator: 'flood' }], target: { headersTimeout: 'soon' } }));
  t.throws(() => loadSuite(bad));
});

t.test('a user suite from a file runs, with a start and a summary line per phase', async (t) => {
  const dir = tempReportDir(t);
  const file = join(dir, 'my-suite.json');
  writeFileSync(
    file,
    JSON.stringify({
      description: 'mine',
      duration: '1s',
      target: { headersTimeout: '1s' },
      load: [
        { generator: 'tunnel', connections: 1 },
        { generator: 'abuse', connections: 1, cases: ['cl-te', 'oversized-headers', 'slowloris'] },
        { generator: 'flood', connections: 2, ramp: { from: 1, over: '400ms', steps: 2 } },
      ],
    }),
  );
  const r = await runCli(['stress', '--suite', file, '--strategy', 'inline', '--report-dir', dir], { timeoutMs: 90_000 });
  t.equal(r.code, 0, `${r.report ? failing(r.report) : r.stderr.slice(-400)}`);
  t.equal(r.report?.suite, 'my-suite');
  t.equal(r.report?.load.abuse.extra?.mismatches, 0);
  t.equal(r.report?.load.flood.extra?.stages, 2, 'the ramp ran in stages');
  for (const phase of ['start', 'baseline', 'load', 'drain', 'shutdown', 'verdict']) {
    t.equal((r.stderr.match(new RegExp(`^handoff: ${phase} +\\d+\\.\\ds`, 'gm')) ?? []).length, 1, `one ${phase} summary`);
    t.equal((r.stderr.match(new RegExp(`^handoff: ${phase} …$`, 'gm')) ?? []).length, 1, `one ${phase} start line`);
  }
  t.match(r.stderr, /^handoff: load +\d+\.\ds · \d+ requests \(\d+ req\/s\) · \d+ errors · peak children 0 · peak fds \d+$/m);
  t.notMatch(r.stderr, /\r/, 'no terminal redraws in a log');
});
