// report.html: one standalone file. uPlot's JS and CSS are read from node_modules at render time and
// inlined, and so is the page's own browser code (src/report/client/report.ts, bundled at build time); a Content-Security-Policy forbids every network request; every report string is escaped
// (cmdlines are chosen by the target) and the chart data travels as script-safe JSON.
import type { CheckResult, Evidence, Report } from '../model/report.js';
import { escapeHtml as h } from './escape.js';
import { chartData, CLOSE_WAIT_COLOR } from './chart-data.js';
import { clientBundle, renderChartPage, uplotAssets, type UplotAssets } from './html-shared.js';
import {
  checkStatus,
  evidenceText,
  isSkipped,
  skippedText,
  formatBytes,
  formatMs,
  formatNumber,
  headline,
  logsText,
  protocolIntro,
  requestsPerSecond,
  runTitle,
} from './text.js';

// the page shell and uPlot assets live in html-shared.ts (comparison.html uses them too)
export { CSP, inlineSafe, uplotAssets, type UplotAssets } from './html-shared.js';

const STYLE = `
:root { color-scheme: light; --pass: #1a7f37; --fail: #cf222e; --waived: #9a6700; --muted: #57606a; --line: #d0d7de; }
main { max-width: 1420px; margin: 0 auto; padding: 0 16px 48px; }
.verdict h1 { margin: 0; font-size: 28px; letter-spacing: .02em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status.pass { color: var(--pass); } .status.fail { color: var(--fail); } .status.waived { color: var(--waived); }
tr.fail > td { background: #fff5f5; }
details summary { cursor: pointer; color: var(--muted); }
details ul { margin: 6px 0 2px; padding-left: 18px; }
details li { font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
.kind { display: inline-block; min-width: 6.5em; color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; word-break: break-all; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; }
.legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: -1px; border: 1px solid #ccc; }
.chart { margin: 10px 0 18px; }
.closewait { color: ${CLOSE_WAIT_COLOR}; font-weight: 700; }
.peaks { display: flex; flex-wrap: wrap; gap: 12px; }
.peaks div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.peaks b { display: block; font-size: 20px; }
`;

const PHASE_SWATCH: Record<string, string> = {
  start: 'rgba(127,127,127,0.25)',
  baseline: 'rgba(31,119,180,0.25)',
  load: 'rgba(255,127,14,0.30)',
  drain: 'rgba(44,160,44,0.30)',
  shutdown: 'rgba(148,103,189,0.30)',
  verdict: 'rgba(127,127,127,0.25)',
};

function evidenceItem(e: Evidence): string {
  const label =
    e.kind === 'socket' && e.state === 'CLOSE_WAIT'
      ? `<span class="kind closewait">socket</span>`
      : `<span class="kind">${h(e.kind)}</span>`;
  return `<li>${label}${h(evidenceText(e))}</li>`;
}

function checkRows(checks: CheckResult[]): string {
  return checks
    .map((c) => {
      const status = checkStatus(c);
      const waived = c.allowedBy
        ? `<br><small>waived by the allow-list until ${h(c.allowedBy.expires)}: ${h(c.allowedBy.reason)}</small>`
        : '';
      const evidence = c.evidence.length
        ? `<details${status === 'fail' ? ' open' : ''}><summary>evidence (${c.evidence.length})</summary><ul>${c.evidence.map(evidenceItem).join('')}</ul></details>`
        : '';
      return `<tr class="${status}" id="check-${h(c.id)}"><td class="status ${status}">${status.toUpperCase()}</td><td><code>${h(c.id)}</code></td><td>${h(c.summary)}${waived}${evidence}</td></tr>`;
    })
    .join('\n');
}

function thresholdsSection(report: Report): string {
  if (!report.thresholds?.length) return '';
  const rows = report.thresholds
    .map(
      (t) =>
        `<tr class="${t.pass ? 'pass' : 'fail'}"><td class="status ${t.pass ? 'pass' : 'fail'}">${t.pass ? 'PASS' : 'FAIL'}</td><td><code>${h(t.metric)}</code></td><td><code>${h(t.expr)}</code></td><td class="num">${t.value === null ? 'no data' : h(formatNumber(t.value, 4))}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Thresholds</h2><table><thead><tr><th></th><th>metric</th><th>threshold</th><th class="num">value</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function allowListSection(report: Report): string {
  if (!report.allowList?.length) return '';
  const rows = report.allowList
    .map(
      (a, i) =>
        `<tr class="${a.expired ? 'fail' : 'pass'}"><td class="status ${a.expired ? 'fail' : 'pass'}">${a.expired ? 'EXPIRED' : 'active'}</td><td>#${i + 1}</td><td><code>${h(a.check)}</code></td><td><code>${h(a.match)}</code></td><td>${h(a.reason)}</td><td>${h(a.expires)}</td><td class="num">${a.matched}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Allow-list of known leaks</h2><table><thead><tr><th></th><th>entry</th><th>check</th><th>match</th><th>reason</th><th>expires</th><th class="num">matched</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function protocolSection(report: Report): string {
  const intro = protocolIntro(report);
  if (!intro) return '';
  const rows = report
    .protocol!.findings.map(
      (f) =>
        `<tr><td>${h(f.generator)}</td><td><code>${h(f.case)}</code></td><td>${h(f.expected)}</td><td>${h(f.got)}</td><td class="num">${formatNumber(f.count)}</td><td><code>${h(f.example)}</code></td></tr>`,
    )
    .join('\n');
  return `<section id="protocol"><h2>Protocol findings</h2><p>${h(intro)}</p><table><thead><tr><th>generator</th><th>case</th><th>expected</th><th>got</th><th class="num">times</th><th>first</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function evidenceFloorSection(report: Report): string {
  const f = report.evidenceFloor;
  if (!f) return '';
  const rows = f.generators
    .map((g) => {
      const short = g.floor > 0 && g.count < g.floor;
      return `<tr class="${short ? 'fail' : 'pass'}"><td>${h(g.generator)}</td><td class="num">${formatNumber(g.count)}</td><td>${h(g.unit)}</td><td class="num">${g.floor > 0 ? formatNumber(g.floor) : '–'}</td><td class="num">${g.aim !== undefined ? formatNumber(g.aim) : '–'}</td></tr>`;
    })
    .join('\n');
  const lead = f.met ? 'Every generator reached its floor' : 'Short of the floor a verdict needs';
  return `<section id="evidence-floor"><h2>Evidence gathered</h2><p>${h(`${lead} (${f.rounds} ${f.rounds === 1 ? 'round' : 'rounds'} of load, cap ${formatMs(f.capMs)}).`)}</p><table><thead><tr><th>generator</th><th class="num">gathered</th><th>unit</th><th class="num">floor</th><th class="num">aim (for power)</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function loadSection(report: Report): string {
  const loads = Object.values(report.load);
  if (!loads.length) return '';
  const rows = loads
    .map((l) => {
      if (isSkipped(l)) return `<tr><td>${h(l.generator)}</td><td colspan="10">${h(skippedText(report))}</td></tr>`;
      const statuses = Object.entries(l.statuses)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ');
      const extra = l.extra
        ? Object.entries(l.extra)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')
        : '';
      return `<tr><td>${h(l.generator)}</td><td class="num">${formatNumber(l.requests)}</td><td class="num">${formatNumber(requestsPerSecond(l), 1)}</td><td class="num">${formatNumber(l.errors)}</td><td class="num">${formatNumber(l.timeouts)}</td><td class="num">${formatMs(l.latencyMs.p50)}</td><td class="num">${formatMs(l.latencyMs.p90)}</td><td class="num">${formatMs(l.latencyMs.p99)}</td><td class="num">${formatMs(l.latencyMs.max)}</td><td>${h(statuses)}</td><td>${h(extra)}</td></tr>`;
    })
    .join('\n');
  return `<section><h2>Load</h2><table><thead><tr><th>generator</th><th class="num">requests</th><th class="num">req/s</th><th class="num">errors</th><th class="num">timeouts</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">max</th><th>statuses</th><th>extra</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function metaSection(report: Report): string {
  const t = report.target;
  const items: [string, string][] = [
    ['run', report.runId],
    ['started', report.startedAt],
    ['suite', report.suite],
    ['strategy', report.strategy ?? '—'],
    ['fault', report.fault ?? '—'],
    ['target', `${t.kind}, ${t.mode} mode: ${t.command.join(' ')}`],
    ['pid / port', `${t.pid ?? '—'} / ${t.port ?? '—'}`],
    ['declared pool', t.pool ? `${t.pool.resident} resident, cap ${t.pool.cap}` : '—'],
    ['exit', t.exit ? `code ${t.exit.code ?? '—'}, signal ${t.exit.signal ?? '—'}, after ${formatMs(t.exit.afterMs)}` : '—'],
    ['phases', report.phases.map((p) => `${p.name} ${formatMs(p.start)}–${formatMs(p.end)}`).join(' · ')],
  ];
  if (report.machine)
    items.push([
      'machine',
      `${report.machine.platform}, ${report.machine.cores} cores, ${report.machine.cpuModel}, node ${report.machine.node}`,
    ]);
  return `<dl class="meta">${items.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`;
}

export function renderHtml(report: Report, assets: UplotAssets = uplotAssets()): string {
  const verdict = report.verdict;
  const interrupted = report.verdict === 'interrupted';
  const quiet =
    interrupted || report.exec
      ? '–'
      : report.timeToQuietMs === null
        ? 'never (did not settle before the drain deadline)'
        : formatMs(report.timeToQuietMs);
  const logs = logsText(report);
  const phaseLegend = report.phases
    .filter((p) => p.end > p.start)
    .map((p) => `<span><i class="swatch" style="background:${PHASE_SWATCH[p.name] ?? '#eee'}"></i>${h(p.name)}</span>`)
    .join('');
  return renderChartPage({
    verdict,
    exitCode: report.exitCode,
    titleHtml: `handoff ${verdict.toUpperCase()} — ${h(runTitle(report))}`,
    subtitleHtml: interrupted
      ? `${h(runTitle(report))} — ${h(headline(report))}`
      : `${h(runTitle(report))} — ${h(headline(report))} · time to quiet: ${h(quiet)}`,
    style: STYLE,
    mainHtml: `${logs ? `<section><h2>Logs</h2><p>${h(logs)}</p></section>` : ''}
${
  interrupted
    ? `<section><h2>Interrupted</h2><p>${h(headline(report))}</p></section>`
    : `<section><h2>Checks</h2>
<table id="checks"><thead><tr><th>status</th><th>check</th><th>summary and evidence</th></tr></thead>
<tbody>
${checkRows(report.checks)}
</tbody></table></section>`
}
${thresholdsSection(report)}
${protocolSection(report)}
${evidenceFloorSection(report)}
${allowListSection(report)}
<section><h2>Peaks</h2><div class="peaks">
<div>live children<b>${formatNumber(report.peaks.children)}</b></div>
<div>fds<b>${formatNumber(report.peaks.fds)}</b></div>
<div>RSS of the tree<b>${h(formatBytes(report.peaks.rssBytes))}</b></div>
${report.peaks.pssBytes != null ? `<div>PSS of the tree<b>${h(formatBytes(report.peaks.pssBytes))}</b></div>` : ''}
<div>CLOSE_WAIT<b class="${report.peaks.closeWait > 0 ? 'closewait' : ''}">${formatNumber(report.peaks.closeWait)}</b></div>
<div>time to quiet<b>${h(interrupted ? '–' : report.timeToQuietMs === null ? 'never' : formatMs(report.timeToQuietMs))}</b></div>
</div></section>
<section><h2>Over time</h2>
<p class="legend">Phases: ${phaseLegend}</p>
<div id="charts"></div>
</section>
${loadSection(report)}
<section><h2>Run</h2>${metaSection(report)}</section>
<footer>handoff ${h(report.tool.version)} · report schema ${report.schema} · this page makes no network requests; charts by uPlot, inlined.</footer>`,
    dataId: 'handoff-data',
    data: chartData(report),
    clientScript: clientBundle('report'),
    assets,
  });
}
