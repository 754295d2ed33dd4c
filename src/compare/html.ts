// comparison.html: one standalone page (no network; uPlot and the page's browser code, src/compare/client/,
// inlined as in report.html, same CSP and escaping). Verdict, the table of targets, bar charts of the medians side
// by side (plain HTML/CSS, with the min–max range as a whisker), timelines of every target on one axis (uPlot), and
// every run linked.
import { escapeHtml as h } from '../report/escape.js';
import { clientBundle, renderChartPage, uplotAssets, type UplotAssets } from '../report/html-shared.js';
import { formatMs, formatNumber } from '../report/text.js';
import { compareChartData, targetColor } from './chart-data.js';
import { linkPath } from './markdown.js';
import {
  columnsNote,
  comparisonTitle,
  formatSpread,
  leaksText,
  loadText,
  METRIC_COLUMNS,
  orderText,
  verdictText,
  type MetricColumn,
} from './text.js';
import type { Comparison, CompareRun, Spread, TargetSummary } from './types.js';

const STYLE = `
:root { color-scheme: light; --pass: #1a7f37; --fail: #cf222e; --muted: #57606a; --line: #d0d7de; }
main { max-width: 1500px; margin: 0 auto; padding: 0 16px 48px; }
.verdict h1 { margin: 0; font-size: 26px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status.pass { color: var(--pass); } .status.inconclusive { color: #9a6700; } .status.fail, .status.not-started, .status.error { color: var(--fail); }
tr.fail > td, tr.not-started > td, tr.error > td { background: #fff5f5; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; border-radius: 2px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
.note { color: var(--muted); font-size: 12.5px; }
.scroll { overflow-x: auto; }
small.range { color: var(--muted); font-size: 11.5px; }
.bars { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 14px 22px; }
.bars figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.bars figcaption { font-weight: 600; margin-bottom: 6px; } .bars figcaption small { color: var(--muted); font-weight: 400; }
.bar-row { display: grid; grid-template-columns: 9em 1fr 8.5em; gap: 8px; align-items: center; margin: 3px 0; }
.bar-row .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar-row .value { text-align: right; font-variant-numeric: tabular-nums; font-size: 12.5px; }
.track { position: relative; height: 14px; background: #f6f8fa; border-radius: 3px; }
.track .bar { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; }
.track .bar.never { background: repeating-linear-gradient(45deg, #cf222e 0 6px, #ffd7d5 6px 12px) !important; }
.track .whisker { position: absolute; top: 6px; height: 2px; background: #24292f; }
.track .whisker::before, .track .whisker::after { content: ''; position: absolute; top: -4px; width: 2px; height: 10px; background: #24292f; }
.track .whisker::before { left: 0; } .track .whisker::after { right: 0; }
#charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 10px 18px; }
#charts .chart { min-width: 0; overflow: hidden; }
.legend span { display: inline-block; margin-right: 16px; }
`;

function targetCell(t: TargetSummary, i: number): string {
  const cmd = t.command ? `<br><code>${h(t.command.join(' '))}</code>` : '';
  return `<td><i class="swatch" style="background:${targetColor(i)}"></i>${h(t.label)}${cmd}</td>`;
}

/** The median, and under it (small) the min–max range when runs differ: keeps the table narrow. */
function spreadHtml(s: Spread, m: MetricColumn): string {
  const text = formatSpread(s, m.format);
  const cut = text.indexOf(' (');
  if (cut < 0) return h(text);
  return `${h(text.slice(0, cut))}<br><small class="range">${h(text.slice(cut + 2, -1))}</small>`;
}

function summaryTable(c: Comparison): string {
  const head = `<tr><th>target</th><th>verdict</th>${METRIC_COLUMNS.map((m) => `<th class="num">${h(m.title)}</th>`).join('')}<th>failing checks</th></tr>`;
  const rows = c.targets
    .map((t, i) => {
      const cls = t.verdict;
      const cells = METRIC_COLUMNS.map((m) => `<td class="num" data-metric="${m.key}">${spreadHtml(t[m.key], m)}</td>`).join('');
      return `<tr class="${cls}" data-target="${h(t.label)}">${targetCell(t, i)}<td class="status ${cls}">${h(verdictText(t))}</td>${cells}<td>${h(leaksText(t))}</td></tr>`;
    })
    .join('\n');
  return `<div class="scroll"><table id="summary"><thead>${head}</thead><tbody>${rows}</tbody></table></div>
<p class="note">${h(columnsNote(c))}${c.repeat > 1 ? ' Each cell is the median over the runs, with (min–max) when they differ.' : ''}</p>`;
}

/** One horizontal bar per target, scaled to the largest value shown; the whisker spans min–max. */
function barFigure(c: Comparison, m: MetricColumn): string {
  const values = c.targets.flatMap((t) => [t[m.key].median, t[m.key].max]).filter((v): v is number => v !== null);
  const scale = Math.max(...values, 0) || 1;
  const pct = (v: number): string => `${Math.min(100, (v / scale) * 100).toFixed(2)}%`;
  const rows = c.targets
    .map((t, i) => {
      const s = t[m.key];
      let bar = '';
      if (s.n > 0 && s.median === null && s.never > 0) bar = `<div class="bar never" style="width:100%"></div>`;
      else if (s.median !== null) bar = `<div class="bar" style="width:${pct(s.median)};background:${targetColor(i)}"></div>`;
      const whisker =
        s.n > 1 && s.min !== null && s.max !== null && s.max > s.min
          ? `<div class="whisker" style="left:${pct(s.min)};width:calc(${pct(s.max)} - ${pct(s.min)})"></div>`
          : '';
      return `<div class="bar-row"><span class="label" title="${h(t.label)}">${h(t.label)}</span><div class="track">${bar}${whisker}</div><span class="value">${h(formatSpread(s, m.format))}</span></div>`;
    })
    .join('');
  return `<figure data-metric="${m.key}"><figcaption>${h(m.title)} <small>(${m.better} is better)</small></figcaption>${rows}</figure>`;
}

function runsTable(c: Comparison): string {
  const link = (r: CompareRun): string => {
    if (!r.runDir) return h(r.message ?? '—');
    const dir = linkPath(r.runDir);
    if (!r.metrics) return `${h(r.message ?? r.status)} · <a href="${h(dir)}/target.stderr.log">target stderr</a>`;
    return `<a href="${h(dir)}/report.html">report.html</a> · <a href="${h(dir)}/report.md">md</a> · <a href="${h(dir)}/report.json">json</a>`;
  };
  const rows = c.runs
    .map((r) => {
      const m = r.metrics;
      const quiet = m ? (m.timeToQuietMs === null ? 'never' : formatMs(m.timeToQuietMs)) : '—';
      return `<tr class="${r.status}"><td class="num">${r.order}</td><td>${h(r.target)}</td><td class="num">${r.rep}</td><td class="status ${r.status}">${h(r.status)}</td><td>${m ? h(m.failedChecks.join(', ') || 'none') : '—'}</td><td class="num">${m ? formatNumber(m.requestsPerSec, 1) : '—'}</td><td class="num">${quiet}</td><td class="num">${formatMs(r.wallMs)}</td><td>${link(r)}</td></tr>`;
    })
    .join('\n');
  return `<table id="runs"><thead><tr><th class="num">#</th><th>target</th><th class="num">rep</th><th>verdict</th><th>failing checks</th><th class="num">req/s</th><th class="num">time to quiet</th><th class="num">wall time</th><th>run report</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderCompareHtml(c: Comparison, assets: UplotAssets = uplotAssets()): string {
  const verdict = c.verdict;
  const failing = c.targets.filter((t) => t.verdict !== 'pass').length;
  const legend = c.targets.map((t, i) => `<span><i class="swatch" style="background:${targetColor(i)}"></i>${h(t.label)}</span>`).join('');
  return renderChartPage({
    verdict,
    exitCode: c.exitCode,
    titleHtml: `handoff compare ${verdict.toUpperCase()} — ${h(comparisonTitle(c))}`,
    subtitleHtml: `handoff compare — ${h(comparisonTitle(c))} — ${failing} of ${c.targets.length} targets did not pass`,
    style: STYLE,
    mainHtml: `<p class="note">Load: ${h(loadText(c))} · order: ${h(orderText(c))} · comparison <code>${h(c.id)}</code></p>
<section><h2>Targets</h2>${summaryTable(c)}</section>
<section><h2>Side by side</h2><div class="bars">${METRIC_COLUMNS.map((m) => barFigure(c, m)).join('\n')}</div></section>
<section><h2>Over time <small class="note">(each target's median-throughput run; 0 s = its load start)</small></h2>
<p class="legend">${legend}</p>
<div id="charts"></div>
</section>
<section><h2>Runs, in execution order</h2>${runsTable(c)}</section>
<footer>handoff ${h(c.tool.version)} · ${h(c.machine.platform)}, ${c.machine.cores} cores, ${h(c.machine.cpuModel)}, node ${h(c.machine.node)} · ${h(c.startedAt)} → ${h(c.finishedAt)} · this page makes no network requests; charts by uPlot, inlined.</footer>`,
    dataId: 'compare-data',
    data: compareChartData(c),
    clientScript: clientBundle('compare'),
    assets,
  });
}
