import t from 'tap';
import { applyGate, gateFailures } from '../../src/gate/apply.js';
import { parseThresholds } from '../../src/gate/thresholds.js';
import { parseAllowList } from '../../src/gate/allow-list.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fixture } from '../report/fixtures.js';

const NOW = new Date('2026-11-01T12:00:00Z');
const none = { thresholds: [], allowList: [] };

t.test('no gate config: verdict recomputed from the checks alone, input untouched', async (t) => {
  const fail = fixture('fail');
  const before = JSON.stringify(fail);
  const gated = applyGate(fail, none, NOW);
  t.equal(gated.verdict, 'fail');
  t.equal(gated.exitCode, 1);
  t.equal(gated.thresholds, undefined);
  t.equal(gated.allowList, undefined);
  t.equal(JSON.stringify(fail), before, 'pure: the input report is not modified');
  const pass = applyGate(fixture('pass'), none, NOW);
  t.equal(pass.verdict, 'pass');
  t.equal(pass.exitCode, 0);
});

t.test('a failing threshold fails a run whose checks pass', async (t) => {
  const gated = applyGate(fixture('pass'), { thresholds: parseThresholds({ p99_ms: '<100', peak_children: '<=64' }), allowList: [] }, NOW);
  t.equal(gated.verdict, 'fail');
  t.equal(gated.exitCode, 1);
  t.same(gated.thresholds, [
    { metric: 'p99_ms', expr: '<100', value: 143, pass: false },
    { metric: 'peak_children', expr: '<=64', value: 16, pass: true },
  ]);
  t.same(gateFailures(gated), ['threshold p99_ms <100 failed: value 143']);
});

t.test('waiving every failure passes the run; failed_checks sees only unwaived failures', async (t) => {
  const allowList = parseAllowList([
    { check: 'handoff-eof', match: 'churn', reason: 'legacy server closes late', expires: '2026-12-31' },
    { check: 'children-drained', match: 'pid=4098[0-9]', reason: 'slow exit', expires: '2026-12-31' },
    { check: 'children-drained', match: 'proxy/child', reason: 'child linger', expires: '2027-03-01' },
    { check: 'no-zombies', match: 'defunct', reason: 'reaper', expires: '2026-12-31' },
    { check: 'fds-drained', match: 'pid=40211', reason: 'master', expires: '2026-12-31' },
    { check: 'sockets-drained', match: 'CLOSE_WAIT|ESTABLISHED', reason: 'master', expires: '2026-12-31' },
  ]);
  const gated = applyGate(fixture('fail'), { thresholds: parseThresholds({ failed_checks: '==0' }), allowList }, NOW);
  t.equal(gated.verdict, 'pass');
  t.equal(gated.exitCode, 0);
  t.same(
    gated.checks.find((c) => c.id === 'children-drained')!.allowedBy,
    { reason: 'slow exit; child linger', expires: '2026-12-31' },
    'several entries: reasons joined, soonest expiry',
  );
  t.same(gated.thresholds, [{ metric: 'failed_checks', expr: '==0', value: 0, pass: true }]);
  t.match(renderMarkdown(gated), /## handoff: ✅ PASS/);
  t.match(renderMarkdown(gated), /\| ⚠️ \| `no-zombies` \|/);
});

t.test('an expired entry fails an otherwise passing run, and says which entry', async (t) => {
  const allowList = parseAllowList([
    { check: 'no-zombies', match: 'defunct', reason: 'reaper', expires: '2027-01-01' },
    { check: 'fds-drained', match: 'legacy-cache', reason: 'cache warmer keeps files open', expires: '2026-10-01' },
  ]);
  const gated = applyGate(fixture('pass'), { thresholds: [], allowList }, NOW);
  t.equal(gated.verdict, 'fail');
  t.equal(gated.exitCode, 1);
  t.same(gateFailures(gated), [
    'allow-list entry #2 (check fds-drained, match "legacy-cache", reason "cache warmer keeps files open") expired on 2026-10-01: fix the leak or renew the entry',
  ]);
  t.match(renderMarkdown(gated), /1 allow-list entry has expired/);
});

t.test('exit codes 2 and 3 survive the gate', async (t) => {
  const report = { ...fixture('pass'), exitCode: 3 as const, verdict: 'fail' as const };
  const gated = applyGate(report, none, NOW);
  t.equal(gated.exitCode, 3);
  t.equal(gated.verdict, 'fail');
});

t.test('gating twice gives the same report (idempotent)', async (t) => {
  const gate = {
    thresholds: parseThresholds({ p99_ms: '<300' }),
    allowList: parseAllowList([{ check: 'no-zombies', match: 'defunct', reason: 'r', expires: '2030-01-01' }]),
  };
  const once = applyGate(fixture('fail'), gate, NOW);
  t.same(applyGate(once, gate, NOW), once);
});

t.test('an interrupted run is kept as it is; an inconclusive one stays inconclusive unless the gate fails it', async (t) => {
  const failing = { thresholds: parseThresholds({ p99_ms: '<100' }), allowList: [] };
  const interrupted = applyGate({ ...fixture('pass'), verdict: 'interrupted', exitCode: 130 }, failing, NOW);
  t.equal(interrupted.verdict, 'interrupted');
  t.equal(interrupted.exitCode, 130);
  const inconclusive = applyGate({ ...fixture('pass'), verdict: 'inconclusive', exitCode: 4 }, none, NOW);
  t.equal(inconclusive.verdict, 'inconclusive', 'no failure: still short of its evidence');
  t.equal(inconclusive.exitCode, 4);
  const failed = applyGate({ ...fixture('pass'), verdict: 'inconclusive', exitCode: 4 }, failing, NOW);
  t.equal(failed.verdict, 'fail', 'a failure found on little evidence is still a failure');
  t.equal(failed.exitCode, 1);
});
