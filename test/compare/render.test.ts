// The comparison's renderers on a fixture comparison: Markdown table rows and links, HTML structure,
// escaping of a hostile command target, chart data, json round trip and the files written.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareChartData } from '../../src/compare/chart-data.js';
import { renderCompareHtml } from '../../src/compare/html.js';
import { renderCompareMarkdown } from '../../src/compare/markdown.js';
import { formatCompareSummary } from '../../src/compare/text.js';
import { writeComparison } from '../../src/compare/write.js';
import type { Comparison } from '../../src/compare/types.js';
import { HOSTILE_FRAGMENT } from '../report/fixtures.js';
import { sampleComparison } from './fixtures.js';

t.test('the fixture comparison aggregates as expected', async (t) => {
  const c = sampleComparison();
  t.equal(c.exitCode, 1, 'a failing run makes the comparison exit 1');
  t.equal(c.verdict, 'fail');
  t.same(
    c.targets.map((x) => x.verdict),
    ['pass', 'fail', 'fail'],
  );
  t.same(
    c.targets.map((x) => [x.passed, x.failed]),
    [
      [2, 0],
      [1, 1],
      [0, 2],
    ],
  );
  t.same(
    c.runs.map((r) => r.target.split(' ')[0]),
    ['inline', 'per-connection', 'hostile', 'inline', 'per-connection', 'hostile'],
    'interleaved order kept',
  );
  t.equal(c.timelines.length, 3, 'one timeline per target');
});

t.test('markdown: one row per target, medians with ranges, leaks, links to every run', async (t) => {
  const c = sampleComparison();
  const md = renderCompareMarkdown(c);
  t.match(md, /^## handoff compare: ❌ FAIL — suite ci, 3 targets, 2 interleaved runs each \(medians\)/);
  t.match(md, /\*\*Exit code 1\*\*/);
  const header = md.split('\n').find((l) => l.startsWith('| target | verdict |'))!;
  t.match(
    header,
    /req\/s \| p50 \| p99 \| max \| errors \| peak children \| peak fds \| peak RSS \| peak PSS \| time to quiet \| failing checks/,
  );
  const rows = md.split('\n').filter((l) => /^\| (inline|per-connection|hostile)/.test(l));
  const summaryRows = rows.slice(0, 3);
  t.match(summaryRows[0], /^\| inline \| ✅ pass 2\/2 \|/);
  t.match(summaryRows[0], /\| none \|$/);
  const failing = c.targets[1].leaks.map((l) => l.check);
  t.ok(failing.length > 0);
  t.match(summaryRows[1], new RegExp(`❌ FAIL 1/2 .*${failing[0]} \\(1/2\\)`), 'a check failing in some runs says in how many');
  t.match(summaryRows[1], /\(.+–.+\)/, 'a range when the runs differ');
  const runRows = md.split('\n').filter((l) => /^\| \d+ \|/.test(l));
  t.equal(runRows.length, 6, 'every run listed');
  for (const r of c.runs) t.ok(md.includes(`](${r.runDir}/report.html)`), `run ${r.order} linked`);
  t.match(md, /### Per generator/);
  t.equal(c.latencyFrom, 'flood');
  t.match(md, /p50\/p99\/max are the latency of the flood generator/);
});

t.test('hostile command labels are inert in Markdown and HTML', async (t) => {
  const c = sampleComparison();
  const md = renderCompareMarkdown(c);
  // outside code spans (where GFM shows text literally) nothing of the command may stay live
  const outsideCode = md.replace(/`[^`\n]*`/g, '');
  t.notOk(outsideCode.includes(HOSTILE_FRAGMENT), 'raw markup never reaches the Markdown outside code spans');
  t.notOk(/\[y\]\(z\)/.test(outsideCode), 'no live link from a command name');
  t.match(md, /- hostile .*: `python3 x<\/script>/, 'the command itself shown verbatim in a code span');
  const html = renderCompareHtml(c, { js: '/* uplot */', css: '' });
  t.notOk(html.includes(HOSTILE_FRAGMENT), 'raw markup never reaches the HTML');
  t.match(html, /&lt;\/script&gt;&lt;script&gt;alert\(&#39;x&#39;\)/);
  const data = /<script type="application\/json" id="compare-data">([\s\S]*?)<\/script>/.exec(html)![1];
  t.notOk(data.includes('</script'), 'chart data cannot close its element');
  t.equal(JSON.parse(data).charts[0].series[2].label, `hostile ${HOSTILE_FRAGMENT}`, 'and still carries the label intact');
});

t.test('html: summary rows, bars side by side, charts data, run links, CSP', async (t) => {
  const c = sampleComparison();
  const html = renderCompareHtml(c, { js: '/* uplot */', css: '' });
  t.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  t.equal((html.match(/<tr class="[^"]+" data-target=/g) ?? []).length, 3, 'three target rows');
  t.equal((html.match(/<figure data-metric=/g) ?? []).length, 10, 'one bar chart per metric');
  t.match(html, /class="whisker"/, 'min–max whiskers for differing runs');
  t.equal((html.match(/report\.html">report\.html<\/a>/g) ?? []).length, 6, 'every run linked');
  t.match(html, /<header class="verdict fail">/);
  t.notOk(/src=|href="http/.test(html), 'no external resources');

  const charts = compareChartData(c);
  t.same(
    charts.charts.map((x) => x.id).slice(0, 5),
    ['children', 'fds', 'rss', 'pss', 'rate'],
    'the fixtures recorded PSS (some) and a request rate',
  );
  const unrecorded = sampleComparison();
  for (const tl of unrecorded.timelines)
    for (const p of tl.points) {
      p.reqRate = null;
      p.pssBytes = null;
    }
  const without = compareChartData(unrecorded).charts.map((x) => x.id);
  t.notOk(without.includes('rate'), 'no empty request-rate chart');
  t.notOk(without.includes('pss'), 'no empty PSS chart (reports written before PSS existed)');
  for (const ch of charts.charts) {
    t.equal(ch.series.length, 3, `${ch.id}: one series per target`);
    for (const s of ch.series) t.equal(s.values.length, charts.x.length, `${ch.id}/${s.label.slice(0, 14)}: aligned on the shared axis`);
  }
  t.ok(charts.x.some((x) => x < 0) && charts.x.some((x) => x > 0), 'axis spans before and after load start');
  t.ok(charts.loadEnd > 0);
});

t.test('terminal summary and files written', async (t) => {
  const c = sampleComparison();
  const text = formatCompareSummary(c, 'reports/x/comparison.md');
  t.match(text, /^handoff compare: FAIL \(exit 1\)/);
  t.equal(text.split('\n').filter((l) => /^ {2}(inline|per-connection|hostile)/.test(l)).length, 3);
  const dir = mkdtempSync(join(tmpdir(), 'handoff-compare-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const paths = writeComparison(c, dir, ['md']);
  t.same(
    paths.map((p) => p.slice(dir.length + 1)),
    ['comparison.json', 'comparison.md'],
    'json always, then what was asked',
  );
  const back = JSON.parse(readFileSync(join(dir, 'comparison.json'), 'utf8')) as Comparison;
  t.same(back, JSON.parse(JSON.stringify(c)), 'json round trip');
  t.equal(renderCompareMarkdown(back), readFileSync(join(dir, 'comparison.md'), 'utf8'), 'markdown re-renders identically from the json');
});
