import t from 'tap';
import { renderHtml, uplotAssets } from '../../src/report/html.js';
import { chartData, CLOSE_WAIT_COLOR } from '../../src/report/chart-data.js';
import { escapeHtml, jsonForScript } from '../../src/report/escape.js';
import { fixture, HOSTILE_FRAGMENT } from './fixtures.js';

const embeddedData = (html: string): unknown => {
  const m = /<script type="application\/json" id="handoff-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no embedded data');
  return JSON.parse(m[1]);
};

t.test('standalone: uPlot inlined, no external resource, CSP forbids the network', async (t) => {
  const html = renderHtml(fixture('fail'));
  const { js, css } = uplotAssets();
  t.ok(html.includes(js.slice(0, 200)) && html.includes(js.slice(-200)), 'uPlot JS inlined whole');
  t.ok(html.includes(css.slice(0, 100)), 'uPlot CSS inlined');
  t.notMatch(html, /<(script|link|img|iframe)[^>]+\b(src|href)=/i, 'no element loads anything');
  t.notMatch(html.replace('https://github.com/leeoniya/uPlot', ''), /https?:\/\//, "no absolute URL besides uPlot's license banner");
  t.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
});

t.test('verdict first, checks table with expandable evidence, open for failures', async (t) => {
  const html = renderHtml(fixture('fail'));
  const body = html.slice(html.indexOf('<body'));
  t.ok(body.indexOf('class="verdict fail"') < body.indexOf('id="checks"'), 'verdict before the checks');
  t.match(body, /<h1>✘ FAIL · exit code 1<\/h1>/);
  t.match(body, /<tr class="fail" id="check-handoff-eof">[\s\S]*?<details open><summary>evidence \(7\)<\/summary>/);
  t.match(body, /<tr class="pass" id="check-no-orphans">/);
  t.match(body, /<span class="kind closewait">socket<\/span>CLOSE_WAIT 127\.0\.0\.1:41733/, 'CLOSE_WAIT evidence highlighted');
  t.match(body, /time to quiet: never/);
  const pass = renderHtml(fixture('pass'));
  t.match(pass, /class="verdict pass"/);
  t.notMatch(pass, /<details/, 'passing checks without evidence have nothing to expand');
});

t.test('every report string is escaped; embedded JSON cannot close its script', async (t) => {
  const report = fixture('fail');
  report.suite = '<img src=x onerror=alert(2)>';
  report.checks[0].summary = '"><script>alert(3)</script>';
  const html = renderHtml(report);
  t.notOk(html.includes(HOSTILE_FRAGMENT), 'hostile cmdline not present raw');
  t.ok(html.includes(escapeHtml(HOSTILE_FRAGMENT)), 'hostile cmdline present escaped');
  t.notOk(html.includes('<img src=x'), 'suite name escaped (title, header)');
  t.notOk(html.includes('<script>alert(3)'), 'summary escaped');
  // exactly our three scripts: data, uPlot, client
  t.equal(html.match(/<script\b/g)!.length, 3);
  t.equal(html.match(/<\/script>/g)!.length, 3);
  t.equal(jsonForScript({ a: '</script><!--\u2028' }), '{"a":"\\u003c/script\\u003e\\u003c!--\\u2028"}');
});

t.test('chart data: every timeline column, phases in seconds, CLOSE_WAIT in red', async (t) => {
  const report = fixture('fail');
  const data = embeddedData(renderHtml(report)) as ReturnType<typeof chartData>;
  t.same(data, JSON.parse(JSON.stringify(chartData(report))));
  t.equal(data.x.length, report.timeline.length);
  t.same(
    data.charts.map((c) => c.id),
    ['processes', 'fds', 'sockets', 'rss', 'rate'],
  );
  t.same(
    data.phases.map((p) => p.name),
    ['start', 'baseline', 'load', 'drain', 'shutdown', 'verdict'],
  );
  t.equal(data.phases[2].start, 2.4);
  const sockets = data.charts.find((c) => c.id === 'sockets')!;
  const closeWait = sockets.series.find((s) => s.label === 'CLOSE_WAIT')!;
  t.equal(closeWait.color, CLOSE_WAIT_COLOR);
  t.equal(Math.max(...(closeWait.values as number[])), report.peaks.closeWait);
  t.ok(
    sockets.series.every((s) => s.label === 'CLOSE_WAIT' || s.color !== CLOSE_WAIT_COLOR),
    'red only for CLOSE_WAIT',
  );
  const fds = data.charts.find((c) => c.id === 'fds')!;
  t.same(
    fds.series.map((s) => s.label),
    ['total', 'socket', 'pipe', 'file', 'other'],
  );
  const rate = data.charts.find((c) => c.id === 'rate')!;
  t.equal(rate.series[1].scale, 'pct', 'CPU on its own axis');
});

t.test('an empty timeline still renders (charts say there are no samples)', async (t) => {
  const report = fixture('pass');
  report.timeline = [];
  const html = renderHtml(report);
  const data = embeddedData(html) as ReturnType<typeof chartData>;
  t.same(data.x, []);
  t.match(html, /No timeline samples were recorded/);
});
