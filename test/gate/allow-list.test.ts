import t from 'tap';
import { parseAllowList, applyAllowList, parseExpiry, describeExpired } from '../../src/gate/allow-list.js';
import { fixture } from '../report/fixtures.js';

const NOW = new Date('2026-11-01T12:00:00Z');

t.test('parses entries strictly', async (t) => {
  const [e] = parseAllowList([{ check: 'no-zombies', match: '<defunct>', reason: 'JIRA-9', expires: '2026-12-31' }]);
  t.equal(e.check, 'no-zombies');
  t.equal(e.expiresAtMs, Date.parse('2027-01-01T00:00:00Z'), 'valid through the end of the expiry day (UTC)');
  t.equal(parseExpiry('2026-11-01T10:00:00Z', 'x'), Date.parse('2026-11-01T10:00:00Z'));
  const bad: [unknown, RegExp][] = [
    [{}, /expected a list/],
    [[{ check: 'no-zombies', match: 'x', reason: 'r' }], /allowList\[0\]\.expires: required/],
    [[{ check: 'no-zombies', match: 'x', reason: '', expires: '2030-01-01' }], /allowList\[0\]\.reason: required/],
    [[{ check: 'no-zombie', match: 'x', reason: 'r', expires: '2030-01-01' }], /unknown check id "no-zombie"/],
    [[{ check: 'no-zombies', match: '(', reason: 'r', expires: '2030-01-01' }], /match: invalid regular expression "\("/],
    [[{ check: 'no-zombies', match: 'x', reason: 'r', expires: '2030-02-30' }], /"2030-02-30" is not a real date/],
    [[{ check: 'no-zombies', match: 'x', reason: 'r', expires: 'next year' }], /is not an ISO date/],
    [[{ check: 'no-zombies', match: 'x', reason: 'r', expires: '2030-01-01', owner: 'me' }], /unknown key "owner"/],
    [['no-zombies'], /allowList\[0\]: expected an object/],
  ];
  for (const [raw, message] of bad) t.throws(() => parseAllowList(raw), { name: 'UsageError', message }, JSON.stringify(raw));
});

t.test('waives a failing check only when every evidence item is matched', async (t) => {
  const report = fixture('fail');
  const entries = parseAllowList([
    { check: 'no-zombies', match: '<defunct>', reason: 'legacy reaper, JIRA-9', expires: '2026-12-31' },
    // matches one of the two processes of children-drained: not enough
    { check: 'children-drained', match: 'proxy/child\\.js', reason: 'slow child exit', expires: '2026-12-31' },
    // fd evidence: every fd of the master (targets socket:[…] and the odd file) — the note is context, not a leak
    { check: 'fds-drained', match: 'fd pid=40211 ', reason: 'known master leak', expires: '2026-12-31' },
    { check: 'sockets-drained', match: 'CLOSE_WAIT', reason: 'only CLOSE_WAIT', expires: '2026-12-31' },
  ]);
  const { checks, statuses } = applyAllowList(report.checks, entries, NOW);
  const by = Object.fromEntries(checks.map((c) => [c.id, c]));
  t.same(by['no-zombies'].allowedBy, { reason: 'legacy reaper, JIRA-9', expires: '2026-12-31' });
  t.equal(by['no-zombies'].pass, false, 'a waived check still says it failed');
  t.equal(by['children-drained'].allowedBy, undefined, 'one unmatched process keeps the failure');
  t.ok(by['fds-drained'].allowedBy, 'all fd items matched (the note does not need to be)');
  t.equal(by['sockets-drained'].allowedBy, undefined, 'the ESTABLISHED row is not matched: a new leak still fails');
  t.equal(by['handoff-eof'].allowedBy, undefined);
  t.same(
    statuses.map((s) => [s.check, s.matched, s.expired]),
    [
      ['no-zombies', 1, false],
      ['children-drained', 1, false],
      ['fds-drained', 9, false],
      ['sockets-drained', 7, false],
    ],
  );
  t.equal(by['no-orphans'].allowedBy, undefined, 'passing checks are never marked');
});

t.test('matches connection and socket text; entries for other checks do not apply', async (t) => {
  const report = fixture('fail');
  const entries = parseAllowList([
    { check: 'handoff-eof', match: 'no EOF after 2000 ms', reason: 'r1', expires: '2026-11-01' },
    { check: 'sockets-drained', match: '127\\.0\\.0\\.1:41733 ', reason: 'r2', expires: '2026-11-30T00:00:00Z' },
    { check: 'no-orphans', match: '.*', reason: 'r3', expires: '2030-01-01' },
    { check: 'clean-shutdown', match: '.*', reason: 'r4', expires: '2030-01-01' },
  ]);
  const { checks } = applyAllowList(report.checks, entries, NOW);
  const by = Object.fromEntries(checks.map((c) => [c.id, c]));
  t.same(by['handoff-eof'].allowedBy, { reason: 'r1', expires: '2026-11-01' }, 'expiry day itself is still valid');
  t.same(by['sockets-drained'].allowedBy, { reason: 'r2', expires: '2026-11-30T00:00:00Z' });
  t.equal(by['no-zombies'].allowedBy, undefined);
});

t.test('an expired entry waives nothing and is reported clearly', async (t) => {
  const report = fixture('fail');
  const entries = parseAllowList([{ check: 'no-zombies', match: 'defunct', reason: 'legacy reaper, JIRA-9', expires: '2026-10-31' }]);
  const { checks, statuses } = applyAllowList(report.checks, entries, NOW);
  t.equal(checks.find((c) => c.id === 'no-zombies')!.allowedBy, undefined);
  t.same(statuses, [
    { check: 'no-zombies', match: 'defunct', reason: 'legacy reaper, JIRA-9', expires: '2026-10-31', expired: true, matched: 0 },
  ]);
  t.same(describeExpired(statuses), [
    'allow-list entry #1 (check no-zombies, match "defunct", reason "legacy reaper, JIRA-9") expired on 2026-10-31: fix the leak or renew the entry',
  ]);
});

t.test('a stale allowedBy from an earlier gate is cleared', async (t) => {
  const report = fixture('fail');
  report.checks[4].allowedBy = { reason: 'old', expires: '2020-01-01' };
  const { checks } = applyAllowList(report.checks, [], NOW);
  t.equal(checks[4].allowedBy, undefined);
});
