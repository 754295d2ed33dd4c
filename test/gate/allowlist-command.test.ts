// `handoff allowlist --from <run dir>`: entries that waive exactly that run's failures (patterns that outlive
// pids, ports and fd numbers, and not a new kind of leak), refused for a past date; end to end, a leaking server
// fails, the entries are written into its config, the next run passes on them, and once they expire it fails.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allowEntriesFor, generalize, mergeAllowList } from '../../src/gate/allow-from-report.js';
import { applyAllowList, parseAllowList } from '../../src/gate/allow-list.js';
import { applyGate } from '../../src/gate/apply.js';
import { packageRoot } from '../../src/paths.js';
import type { Report } from '../../src/model/report.js';
import { fixture } from '../report/fixtures.js';
import { markedPids, runCli, tempReportDir } from '../harness/helpers.js';

const now = new Date('2026-12-01T00:00:00Z');
const entry = { reason: 'JIRA-7: the parent keeps its copy', expires: '2026-12-31' };

t.test('generalize: what changes between runs is a pattern, the rest is literal', async (t) => {
  const text = 'fd pid=24084 fd=81 target=socket:[510838] cmdline=python3 app.py 40117 --leak (a+b)';
  const re = new RegExp(generalize(text));
  t.ok(re.test(text));
  t.ok(re.test(text.replace('24084', '99').replace('510838', '7').replace('40117', '41000')), 'another run of the same leak');
  t.notOk(re.test(text.replace('socket:', 'pipe:')), 'another kind of descriptor is not covered');
  t.notOk(re.test(`${text} extra`), 'anchored');
  t.ok(new RegExp(generalize('token 9ae7-churn-6')).test('token 03bc-churn-12'), "the run's random tag");
});

t.test('the entries waive every failing check of the run they come from, and nothing else', async (t) => {
  const report = fixture('fail');
  const entries = allowEntriesFor(report, entry);
  const failing = report.checks.filter((c) => !c.pass).map((c) => c.id);
  t.same([...new Set(entries.map((e) => e.check))], failing, 'entries for the failing checks, in order');
  t.ok(entries.every((e) => e.reason === entry.reason && e.expires === entry.expires));
  t.notOk(
    entries.some((e) => /pid=\d/.test(e.match)),
    'no literal pid',
  );
  const { checks } = applyAllowList(report.checks, parseAllowList(entries), now);
  t.same(
    checks.filter((c) => !c.pass && !c.allowedBy),
    [],
    'all waived',
  );
  t.same(allowEntriesFor(fixture('pass'), entry), [], 'a clean run needs none');
});

t.test('merging into a config keeps its keys and its entries, and adds no duplicates', async (t) => {
  const entries = allowEntriesFor(fixture('fail'), entry);
  const first = mergeAllowList(
    { suite: 'ci', allowList: [{ check: 'no-zombies', match: 'x', reason: 'r', expires: '2027-01-01' }] },
    entries,
  );
  t.equal(first.added, entries.length);
  t.equal(first.config.suite, 'ci');
  t.equal((first.config.allowList as unknown[]).length, entries.length + 1);
  t.equal(mergeAllowList(first.config, entries).added, 0);
});

t.test('end to end: fail, allowlist --write, pass on the entries, fail once they expire', async (t) => {
  const dir = tempReportDir(t);
  const config = join(dir, 'handoff.config.json');
  writeFileSync(config, JSON.stringify({ suite: join(packageRoot, 'examples', 'suites', 'smoke.json') }));
  const server = ['--mode', 'server', '--', 'python3', join(packageRoot, 'examples', 'servers', 'forking-server.py'), '{port}', '--leak'];
  const stress = () => runCli(['stress', '--config', config, '--report-dir', dir, '--quiet', ...server]);
  const first = await stress();
  t.equal(first.code, 1, first.stdout);
  t.same(markedPids(first.runId!), []);
  const runDir = join(dir, first.runId!);

  const past = await runCli(['allowlist', '--from', runDir, '--expires', '2020-01-01', '--reason', 'x'], { timeoutMs: 20_000 });
  t.equal(past.code, 2);
  t.match(past.stderr, /^handoff: --expires 2020-01-01 is already past/);

  const printed = await runCli(['allowlist', '--from', runDir, '--expires', '2099-12-31', '--reason', entry.reason], { timeoutMs: 20_000 });
  t.equal(printed.code, 0, printed.stderr);
  const fragment = JSON.parse(printed.stdout) as { allowList: { check: string }[] };
  t.ok(fragment.allowList.length > 0);
  t.match(printed.stderr, /waiving (\d+) of \1 failing check/);

  const wrote = await runCli(
    ['allowlist', '--from', runDir, '--expires', '2099-12-31', '--reason', entry.reason, '--write', '--config', config],
    { timeoutMs: 20_000 },
  );
  t.equal(wrote.code, 0, wrote.stderr);
  t.equal(wrote.stdout, '');
  const written = JSON.parse(readFileSync(config, 'utf8'));
  t.same(written.allowList, fragment.allowList, 'what was printed is what was written');
  t.match(written.suite, /smoke\.json$/, "the config's other keys are kept");

  const second = await stress();
  t.equal(second.code, 0, second.stdout);
  const report = second.report as Report;
  t.ok(
    report.checks.some((c) => !c.pass && c.allowedBy?.reason === entry.reason),
    'the leak is still seen, and waived',
  );
  t.same(markedPids(second.runId!), []);

  // the day after the expiry the same report fails on the entries themselves
  const gate = { thresholds: [], allowList: parseAllowList(written.allowList) };
  const expired = applyGate(report, gate, new Date('2100-01-01T00:00:00Z'));
  t.equal(expired.verdict, 'fail');
  t.equal(expired.exitCode, 1);
  t.ok(expired.allowList!.every((s) => s.expired));
});
