// The short human summary `handoff stress` prints on stdout: verdict, each check with one line of evidence,
// time to quiet, peaks, and where the report is.
import { relative } from 'node:path';
import type { Evidence, Report } from '../model/report.js';
import { inconclusiveText, interruptionText, isSkipped, logsText, protocolIntro, protocolText, skippedText } from '../report/text.js';

export function describeEvidence(e: Evidence): string {
  const seen = (ms: number | null): string => (ms === null ? '' : `, first seen ${ms} ms`);
  switch (e.kind) {
    case 'process':
      return `pid ${e.pid} (ppid ${e.ppid}, state ${e.state}) ${clip(e.cmdline, 70)}${seen(e.firstSeenMs)}${e.note ? ` — ${e.note}` : ''}`;
    case 'fd':
      return `pid ${e.pid} fd ${e.fd} → ${e.target}${seen(e.firstSeenMs)}${e.note ? ` — ${e.note}` : ''}`;
    case 'socket':
      return `${e.state} ${e.local} → ${e.remote} (pid ${e.pid ?? '?'} fd ${e.fd ?? '?'}, inode ${e.inode})${seen(e.firstSeenMs)}`;
    case 'connection':
      return `${e.generator} ${e.id}: ${e.detail}`;
    case 'note':
      return e.text;
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function formatSummary(report: Report, reportPath: string, cwd = process.cwd()): string {
  const lines: string[] = [];
  const what = [
    `suite ${report.suite}`,
    report.strategy ? `strategy ${report.strategy}` : `command ${clip(report.target.command.join(' '), 60)}`,
    report.fault ? `fault ${report.fault}` : null,
  ].filter(Boolean);
  lines.push(`handoff stress: ${report.verdict.toUpperCase()} (${what.join(', ')})`);
  const stopped = interruptionText(report);
  if (stopped) lines.push(`  ${stopped}`);
  const width = Math.max(...report.checks.map((c) => c.id.length));
  for (const c of report.checks) {
    const mark = c.pass ? 'pass' : c.allowedBy ? 'allowed' : 'FAIL';
    lines.push(`  ${mark.padEnd(7)} ${c.id.padEnd(width)}  ${c.summary}`);
    if (!c.pass) {
      const first = c.evidence.find((e) => e.kind !== 'note') ?? c.evidence[0];
      if (first) lines.push(`  ${''.padEnd(7)} ${''.padEnd(width)}  ↳ ${describeEvidence(first)}`);
      if (c.allowedBy) lines.push(`  ${''.padEnd(7)} ${''.padEnd(width)}  ↳ allowed: ${c.allowedBy.reason} (until ${c.allowedBy.expires})`);
    }
  }
  for (const t of report.thresholds ?? []) {
    lines.push(`  ${(t.pass ? 'pass' : 'FAIL').padEnd(7)} threshold ${t.metric} ${t.expr} (value ${t.value ?? 'none'})`);
  }
  const protocol = protocolIntro(report);
  if (protocol) {
    const findings = report.protocol!.findings;
    lines.push(`  protocol: ${protocol}`);
    for (const f of findings.slice(0, 5)) lines.push(`           ↳ ${protocolText(f)}`);
    if (findings.length > 5) lines.push(`           ↳ … and ${findings.length - 5} more (report.md)`);
  }
  const short = inconclusiveText(report);
  if (short) lines.push(`  inconclusive: ${short}; run longer (--duration) or raise the suite's loadCap`);
  const loads = Object.values(report.load)
    .map((l) =>
      isSkipped(l)
        ? `${l.generator} ${skippedText(report)}`
        : `${l.generator} ${l.requests} responses, ${l.errors} errors, ${l.timeouts} timeouts, p99 ${l.latencyMs.p99} ms`,
    )
    .join('; ');
  if (loads) lines.push(`  load: ${loads}`);
  const logs = logsText(report);
  if (logs) lines.push(`  logs: ${logs}`);
  const quiet =
    report.verdict === 'interrupted'
      ? ''
      : `time to quiet: ${report.timeToQuietMs === null ? 'never (drain deadline passed)' : `${report.timeToQuietMs} ms`} · `;
  lines.push(
    `  ${quiet}peaks: ${report.peaks.children} children, ${report.peaks.fds} fds, ${report.peaks.closeWait} CLOSE_WAIT, ${Math.round(report.peaks.rssBytes / 1048576)} MiB RSS${report.peaks.pssBytes != null ? ` (${Math.round(report.peaks.pssBytes / 1048576)} MiB PSS)` : ''}`,
  );
  const rel = relative(cwd, reportPath);
  lines.push(`  report: ${rel.startsWith('..') ? reportPath : rel}`);
  return `${lines.join('\n')}\n`;
}
