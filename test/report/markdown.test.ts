import t from 'tap';
import { renderMarkdown, MARKDOWN_EVIDENCE_CAP } from '../../src/report/markdown.js';
import { fixture, HOSTILE_FRAGMENT } from './fixtures.js';

t.test('failing run: verdict first, checks table, evidence of each failing check', async (t) => {
  const md = renderMarkdown(fixture('fail'));
  const lines = md.split('\n');
  t.match(lines[0], /^## handoff: ❌ FAIL — suite ci, strategy per-connection, fault no-parent-close$/);
  t.match(md, /\*\*Exit code 1\*\* · 5 of 10 checks failed/);
  t.match(md, /time to quiet \*\*never/);
  t.match(md, /\| ❌ \| `handoff-eof` \| 41 of 612 churn connections saw no EOF/);
  t.match(md, /\| ✅ \| `no-orphans` \|/);
  const evidence = md.slice(md.indexOf('### Evidence'));
  t.ok(md.indexOf('### Evidence') > md.indexOf('### Checks'), 'evidence comes after the checks table');
  t.match(evidence, /\*\*❌ `fds-drained`\*\*/);
  t.match(evidence, /pid 40211 fd 23 → socket:\[771002\]/, 'fd evidence with its link target');
  t.match(evidence, /CLOSE_WAIT 127\.0\.0\.1:41733 ⇄ 127\.0\.0\.1:52110 inode 771002 pid 40211 fd 23/, 'socket row');
  t.match(evidence, /churn connection c118: response 200 complete, no EOF/, 'connection evidence');
  t.match(evidence, /pid 40991 \(ppid 40211, state Z, starttime 98812402\)/, 'process evidence with start time');
  t.match(evidence, /first seen at 2\.51 s/, 'when it was first seen');
  t.notMatch(evidence, /`no-orphans`/, 'passing checks carry no evidence section');
  t.match(md, /### Load[\s\S]*\| flood \| 7,012 \| 350\.6 \| 3 \| 2 \| 31 ms \| 88 ms \| 212 ms \| 1\.84 s \|/);
  t.match(
    md,
    /### Peaks[\s\S]*\| 16 \| \d+ \| [\d.]+ MiB \| – \| 80 \| never \|/,
    'a report without PSS (written before it existed) shows none',
  );
});

t.test('passing run says PASS and has no evidence section', async (t) => {
  const md = renderMarkdown(fixture('pass'));
  t.match(md.split('\n')[0], /✅ PASS/);
  t.notMatch(md, /### Evidence/);
  t.match(md, /time to quiet \*\*1\.74 s\*\*/);
  t.match(
    md,
    /### Peaks[\s\S]*\| RSS of the tree \| PSS of the tree \|[\s\S]*\| 16 \| 230 \| 674\.8 MiB \| 269\.9 MiB \|/,
    'RSS and PSS side by side',
  );
});

t.test('untrusted text cannot inject markup or break the table', async (t) => {
  const md = renderMarkdown(fixture('fail'));
  t.ok(md.includes(HOSTILE_FRAGMENT), 'the cmdline is shown as it is…');
  const outsideCode = md.replace(/<\/?sub>/g, '').replace(/(`+)[^`].*?\1/g, '');
  t.notMatch(outsideCode, /(?<!\\)</, '…but outside code spans no `<` is left unescaped');
  for (const line of md.split('\n').filter((l) => l.includes('alert('))) {
    t.match(line, /^- ``.*``$/, 'the hostile cmdline sits whole inside a double-backtick code span');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  t.notMatch(md, /\x01/, 'control characters are made visible');
  t.match(md, /\\x01bell/);

  const report = fixture('fail');
  report.checks[2].summary = 'evil | <b>bold</b> *x* `tick`';
  const row = renderMarkdown(report)
    .split('\n')
    .find((l) => l.includes('`handoff-eof`') && l.startsWith('|'))!;
  t.equal(row.split(/(?<!\\)\|/).length, 5, 'the pipe in the summary does not add a table column');
  t.match(row, /evil \\\| \\<b\\>bold\\<\/b\\> \\\*x\\\* \\`tick\\`/);
});

t.test('evidence is capped per check, the rest counted', async (t) => {
  const report = fixture('fail');
  const fd = report.checks.find((c) => c.id === 'fds-drained')!;
  const one = fd.evidence.find((e) => e.kind === 'fd')!;
  fd.evidence = Array.from({ length: MARKDOWN_EVIDENCE_CAP + 7 }, () => one);
  const md = renderMarkdown(report);
  t.match(md, /… and 7 more \(see report\.json\)/);
});

t.test('thresholds, waived checks and expired allow-list entries are shown', async (t) => {
  const report = fixture('fail');
  report.checks[4].allowedBy = { reason: 'JIRA-1 reaper', expires: '2030-01-01' };
  report.thresholds = [
    { metric: 'p99_ms', expr: '<250', value: 251, pass: false },
    { metric: 'time_to_quiet_ms', expr: '<2000', value: null, pass: false },
  ];
  report.allowList = [
    { check: 'no-zombies', match: 'defunct', reason: 'JIRA-1 reaper', expires: '2030-01-01', expired: false, matched: 1 },
    { check: 'fds-drained', match: 'x|y', reason: 'old', expires: '2020-01-01', expired: true, matched: 0 },
  ];
  const md = renderMarkdown(report);
  t.match(md, /\| ⚠️ \| `no-zombies` \| .* — waived: JIRA-1 reaper \(until 2030-01-01\) \|/);
  t.match(md, /\| ❌ \| `p99_ms` \| `<250` \| 251 \|/);
  t.match(md, /\| ❌ \| `time_to_quiet_ms` \| `<2000` \| no data \|/);
  t.match(
    md,
    /\| ❌ expired #2 \| `fds-drained` \| `x\\\|y` \| old \| 2020\\-01\\-01|\| ❌ expired #2 \| `fds-drained` \| `x\\\|y` \| old \| 2020-01-01/,
  );
  t.match(md, /1 allow-list entry has expired/);
});
