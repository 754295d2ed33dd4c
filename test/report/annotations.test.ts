// GitHub workflow commands for a run: escaping by GitHub's rules, one ::error per failing check, threshold and
// expired entry, one ::warning per allow-list entry expiring soon, nothing for a clean run.
import t from 'tap';
import { annotations, escapeData, escapeProperty, workflowCommand, EXPIRY_WARNING_DAYS } from '../../src/report/annotations.js';
import type { Report } from '../../src/model/report.js';
import { fixture } from './fixtures.js';

t.test('message and property escaping follow the toolkit (escapeData / escapeProperty)', async (t) => {
  t.equal(escapeData('100% done\r\nnext'), '100%25 done%0D%0Anext');
  t.equal(escapeProperty('a:b,c%\n'), 'a%3Ab%2Cc%25%0A');
  t.equal(
    workflowCommand('error', 'x: y, z', { title: 'handoff fds-drained (ci, inline)' }),
    '::error title=handoff fds-drained (ci%2C inline)::x: y, z',
  );
  t.equal(workflowCommand('warning', 'two\nlines'), '::warning::two%0Alines');
  // a summary cannot end the command early or start another one
  const [line] = annotations({
    ...fixture('pass'),
    checks: [{ id: 'no-zombies', pass: false, summary: 'x\n::error::forged', evidence: [] }],
  });
  t.notMatch(line, /\n/);
  t.match(line, /x%0A::error::forged/);
});

t.test('a clean run has no annotation; a failing one has one error per failing check, none for a waived one', async (t) => {
  t.same(annotations(fixture('pass')), []);
  const failing = fixture('fail');
  const failed = failing.checks.filter((c) => !c.pass);
  const lines = annotations(failing);
  t.equal(lines.length, failed.length);
  for (const [i, c] of failed.entries()) {
    t.ok(lines[i].startsWith(`::error title=handoff ${c.id} `), c.id);
    t.ok(lines[i].includes(escapeData(c.summary)), 'with its summary');
  }
  const waived: Report = {
    ...failing,
    checks: failing.checks.map((c) => (c.pass ? c : { ...c, allowedBy: { reason: 'r', expires: '2099-01-01' } })),
  };
  t.same(annotations(waived), []);
});

t.test('thresholds that failed and allow-list entries expired or expiring soon', async (t) => {
  const now = new Date('2026-12-01T12:00:00Z');
  const entry = { check: 'no-zombies' as const, match: 'w', reason: 'JIRA-9', matched: 0 };
  const report: Report = {
    ...fixture('pass'),
    thresholds: [
      { metric: 'p99_ms{flood}', expr: '<250', value: 300, pass: false },
      { metric: 'error_rate', expr: '<1%', value: 0, pass: true },
    ],
    allowList: [
      { ...entry, expires: '2026-11-30', expired: true },
      { ...entry, expires: '2026-12-04', expired: false },
      { ...entry, expires: '2027-06-01', expired: false },
    ],
  };
  const lines = annotations(report, now);
  t.equal(lines.length, 3);
  t.match(lines[0], /^::error title=handoff threshold p99_ms\{flood\}::threshold p99_ms\{flood\} <250 failed: value 300$/);
  t.match(lines[1], /^::error title=handoff allow-list entry expired::allow-list entry #1 .*expired on 2026-11-30/);
  t.match(lines[2], /^::warning title=handoff allow-list entry expires soon::allow-list entry #2 .*expires on 2026-12-04 \(in 3 days\)/);
  t.ok(EXPIRY_WARNING_DAYS < 182, 'an entry half a year out is not "soon"');
});
