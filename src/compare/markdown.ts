// comparison.md: the verdict, one row per target (medians, range when runs differ), the generators
// one by one, then every run in execution order with a link to its own report.
import { escapeMarkdown as md, markdownCode as code } from '../report/escape.js';
import { formatMs, formatNumber } from '../report/text.js';
import { columnsNote, comparisonTitle, formatSpread, leaksText, loadText, METRIC_COLUMNS, orderText, verdictText } from './text.js';
import type { Comparison, CompareRun } from './types.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', inconclusive: '❔', 'not-started': '⛔', error: '💥' };

/** A relative link target: each path segment URL-encoded, so no character can end the link early. */
export const linkPath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

function runLinks(r: CompareRun): string {
  if (!r.runDir) return md(r.message ?? '—');
  const dir = linkPath(r.runDir);
  // a run without a report still has its directory with the target's output
  if (!r.metrics) return `${md(r.message ?? r.status)} · [target stderr](${dir}/target.stderr.log)`;
  return `[html](${dir}/report.html) · [md](${dir}/report.md) · [json](${dir}/report.json)`;
}

export function renderCompareMarkdown(c: Comparison): string {
  const out: string[] = [];
  out.push(
    `## handoff compare: ${c.verdict === 'pass' ? '✅ PASS' : c.verdict === 'inconclusive' ? '❔ INCONCLUSIVE' : '❌ FAIL'} — ${md(comparisonTitle(c))}`,
    '',
  );
  out.push(`**Exit code ${c.exitCode}** · comparison ${code(c.id, false)} · load: ${md(loadText(c))} · order: ${md(orderText(c))}`, '');
  if (c.repeat > 1) out.push(`Each cell is the median over the runs, with (min–max) when they differ.`, '');

  out.push(
    `| target | verdict | ${METRIC_COLUMNS.map((m) => m.title).join(' | ')} | failing checks |`,
    `|---|---|${METRIC_COLUMNS.map(() => '---:').join('|')}|---|`,
  );
  for (const t of c.targets) {
    const cells = METRIC_COLUMNS.map((m) => md(formatSpread(t[m.key], m.format)));
    out.push(`| ${md(t.label)} | ${ICON[t.verdict]} ${md(verdictText(t))} | ${cells.join(' | ')} | ${md(leaksText(t))} |`);
  }
  out.push('', `<sub>${md(columnsNote(c))}</sub>`, '');

  const commands = c.targets.filter((t) => t.command);
  if (commands.length) {
    out.push('### Command targets', '');
    for (const t of commands) out.push(`- ${md(t.label)}: ${code(t.command!.join(' '), false)}`);
    out.push('');
  }

  const generators = [...new Set(c.targets.flatMap((t) => Object.keys(t.perGenerator)))];
  if (generators.length > 1) {
    out.push('### Per generator', '', '| target | generator | req/s | p50 | p99 |', '|---|---|---:|---:|---:|');
    for (const t of c.targets) {
      for (const g of generators) {
        const s = t.perGenerator[g];
        if (!s) continue;
        out.push(
          `| ${md(t.label)} | ${md(g)} | ${md(formatSpread(s.requestsPerSec, (n) => formatNumber(n, 1)))} | ${md(formatSpread(s.p50Ms, formatMs))} | ${md(formatSpread(s.p99Ms, formatMs))} |`,
        );
      }
    }
    out.push('');
  }

  out.push(
    '### Runs (in execution order)',
    '',
    '| # | target | rep | verdict | failing checks | req/s | time to quiet | report |',
    '|---:|---|---:|---|---|---:|---:|---|',
  );
  for (const r of c.runs) {
    const m = r.metrics;
    const quiet = m ? (m.timeToQuietMs === null ? 'never' : formatMs(m.timeToQuietMs)) : '—';
    out.push(
      `| ${r.order} | ${md(r.target)} | ${r.rep} | ${ICON[r.status]} ${md(r.status)} | ${m ? md(m.failedChecks.join(', ') || 'none') : '—'} | ${m ? formatNumber(m.requestsPerSec, 1) : '—'} | ${quiet} | ${runLinks(r)} |`,
    );
  }
  out.push('');
  out.push(
    `<sub>handoff ${md(c.tool.version)} · ${md(c.machine.platform)} · ${c.machine.cores} cores · node ${md(c.machine.node)} · ${md(c.startedAt)} → ${md(c.finishedAt)}</sub>`,
    '',
  );
  return out.join('\n');
}
