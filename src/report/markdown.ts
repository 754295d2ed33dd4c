// report.md: verdict first, then the checks table, the failing checks' evidence, thresholds, load,
// peaks and time-to-quiet. The same text goes to GitHub's step summary, so it stays compact: evidence
// is capped per check (the full list is in report.json / report.html).
import type { Report } from '../model/report.js';
import { escapeMarkdown as md, markdownCode as code } from './escape.js';
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
  protocolText,
  requestsPerSecond,
  runTitle,
} from './text.js';

export const MARKDOWN_EVIDENCE_CAP = 20;

const ICON = { pass: '✅', fail: '❌', waived: '⚠️' } as const;
const VERDICT_TEXT: Record<Report['verdict'], string> = {
  pass: '✅ PASS',
  fail: '❌ FAIL',
  inconclusive: '⚠️ INCONCLUSIVE',
  interrupted: '⏹️ INTERRUPTED',
};

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  const verdict = VERDICT_TEXT[report.verdict];
  out.push(`## handoff: ${verdict} — ${md(runTitle(report))}`, '');
  // an exec run has no drain to be quiet after, and no mode
  if (report.verdict === 'interrupted' || report.exec) out.push(`**Exit code ${report.exitCode}** · ${md(headline(report))}`, '');
  else
    out.push(
      `**Exit code ${report.exitCode}** · ${md(headline(report))} · time to quiet **${report.timeToQuietMs === null ? 'never (did not settle before the drain deadline)' : formatMs(report.timeToQuietMs)}**`,
      '',
    );
  out.push(
    `Run ${code(report.runId, false)} started ${md(report.startedAt)} · target ${code(report.target.command.join(' '), false)} (${report.exec ? 'handoff exec' : `${md(report.target.mode)} mode`})`,
    '',
  );

  const logs = logsText(report);
  if (logs) out.push(`Logs: ${md(logs)}`, '');

  if (report.checks.length > 0) {
    out.push('### Checks', '', '| | check | summary |', '|---|---|---|');
    for (const c of report.checks) {
      const status = checkStatus(c);
      const waived = c.allowedBy ? ` — waived: ${md(c.allowedBy.reason)} (until ${md(c.allowedBy.expires)})` : '';
      out.push(`| ${ICON[status]} | \`${c.id}\` | ${md(c.summary)}${waived} |`);
    }
    out.push('');
  }

  const withEvidence = report.checks.filter((c) => !c.pass && c.evidence.length > 0);
  if (withEvidence.length) {
    out.push('### Evidence', '');
    for (const c of withEvidence) {
      out.push(`**${ICON[checkStatus(c)]} \`${c.id}\`** — ${md(c.summary)}`, '');
      for (const e of c.evidence.slice(0, MARKDOWN_EVIDENCE_CAP)) out.push(`- ${code(evidenceText(e), false)}`);
      const more = c.evidence.length - MARKDOWN_EVIDENCE_CAP;
      if (more > 0) out.push(`- … and ${more} more (see report.json)`);
      out.push('');
    }
  }

  const protocol = protocolIntro(report);
  if (protocol) {
    out.push('### Protocol findings', '', md(protocol), '');
    for (const f of report.protocol!.findings.slice(0, MARKDOWN_EVIDENCE_CAP)) out.push(`- ${code(protocolText(f), false)}`);
    if (report.protocol!.findings.length > MARKDOWN_EVIDENCE_CAP)
      out.push(`- … and ${report.protocol!.findings.length - MARKDOWN_EVIDENCE_CAP} more (see report.json)`);
    out.push('');
  }

  if (report.evidenceFloor) {
    const f = report.evidenceFloor;
    out.push(
      '### Evidence gathered',
      '',
      `${f.met ? 'Every generator reached its floor' : 'Short of the floor a verdict needs'} (${f.rounds} ${f.rounds === 1 ? 'round' : 'rounds'} of load, cap ${formatMs(f.capMs)}).`,
      '',
    );
    out.push('| generator | gathered | floor | aim (for power) |', '|---|---:|---:|---:|');
    for (const g of f.generators) {
      const aim =
        g.aim !== undefined ? `${formatNumber(g.aim)}${g.count >= g.aim ? '' : ' (not reached within the load time for aims)'}` : '–';
      out.push(
        `| ${md(g.generator)} | ${formatNumber(g.count)} ${md(g.unit)} | ${g.floor > 0 ? `${g.count >= g.floor ? ICON.pass : ICON.fail} ${formatNumber(g.floor)}` : '–'} | ${aim} |`,
      );
    }
    out.push('');
  }

  if (report.allowList?.length) {
    out.push('### Allow-list', '', '| | check | match | reason | expires | matched |', '|---|---|---|---|---|---|');
    report.allowList.forEach((a, i) => {
      out.push(
        `| ${a.expired ? '❌ expired' : '✅'} #${i + 1} | \`${a.check}\` | ${code(a.match)} | ${md(a.reason)} | ${md(a.expires)} | ${a.matched} |`,
      );
    });
    out.push('');
  }

  if (report.thresholds?.length) {
    out.push('### Thresholds', '', '| | metric | threshold | value |', '|---|---|---|---|');
    for (const t of report.thresholds) {
      out.push(
        `| ${t.pass ? ICON.pass : ICON.fail} | \`${t.metric}\` | ${code(t.expr)} | ${t.value === null ? 'no data' : formatNumber(t.value, 4)} |`,
      );
    }
    out.push('');
  }

  const loads = Object.values(report.load);
  if (loads.length) {
    out.push(
      '### Load',
      '',
      '| generator | requests | req/s | errors | timeouts | p50 | p90 | p99 | max | statuses |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const l of loads) {
      if (isSkipped(l)) {
        out.push(`| ${md(l.generator)} | ${skippedText(report)} | | | | | | | | |`);
        continue;
      }
      const statuses = Object.entries(l.statuses)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ');
      out.push(
        `| ${md(l.generator)} | ${formatNumber(l.requests)} | ${formatNumber(requestsPerSecond(l), 1)} | ${formatNumber(l.errors)} | ${formatNumber(l.timeouts)} | ${formatMs(l.latencyMs.p50)} | ${formatMs(l.latencyMs.p90)} | ${formatMs(l.latencyMs.p99)} | ${formatMs(l.latencyMs.max)} | ${md(statuses)} |`,
      );
    }
    out.push('');
  }

  out.push(
    '### Peaks',
    '',
    '| live children | fds | RSS of the tree | PSS of the tree | CLOSE_WAIT | time to quiet |',
    '|---:|---:|---:|---:|---:|---:|',
  );
  out.push(
    `| ${formatNumber(report.peaks.children)} | ${formatNumber(report.peaks.fds)} | ${formatBytes(report.peaks.rssBytes)} | ${report.peaks.pssBytes != null ? formatBytes(report.peaks.pssBytes) : '–'} | ${formatNumber(report.peaks.closeWait)} | ${report.verdict === 'interrupted' ? '–' : report.timeToQuietMs === null ? 'never' : formatMs(report.timeToQuietMs)} |`,
  );
  out.push('');
  if (report.machine) {
    out.push(
      `<sub>handoff ${md(report.tool.version)} · ${md(report.machine.platform)} · ${report.machine.cores} cores · node ${md(report.machine.node)}</sub>`,
      '',
    );
  }
  return out.join('\n');
}
