// Plain-text pieces shared by the Markdown, HTML and JUnit renderers (escaping is the renderer's job).
import {
  ABORTED,
  type CheckResult,
  type EvidenceCount,
  type Evidence,
  type LoadStats,
  type ProtocolFinding,
  type Report,
} from '../model/report.js';

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.round(ms * 10) / 10} ms`;
}

export function formatNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

const at = (ms: number | null): string => (ms === null ? '' : ` (first seen at ${formatMs(ms)})`);
const noteOf = (e: { note?: string }): string => (e.note ? ` — ${e.note}` : '');

/** One line describing a piece of evidence: what it is, who owns it, and when it was first seen. */
export function evidenceText(e: Evidence): string {
  switch (e.kind) {
    case 'process':
      return `pid ${e.pid} (ppid ${e.ppid}, state ${e.state}, starttime ${e.starttime}) ${e.cmdline}${at(e.firstSeenMs)}${noteOf(e)}`;
    case 'fd':
      return `pid ${e.pid} fd ${e.fd} → ${e.target} [${e.cmdline}]${at(e.firstSeenMs)}${noteOf(e)}`;
    case 'socket':
      return `${e.state} ${e.local} ⇄ ${e.remote} inode ${e.inode}${e.pid === null ? '' : ` pid ${e.pid}`}${e.fd === null ? '' : ` fd ${e.fd}`}${at(e.firstSeenMs)}${noteOf(e)}`;
    case 'connection':
      return `${e.generator} connection ${e.id}: ${e.detail}${e.atMs === null ? '' : ` (at ${formatMs(e.atMs)})`}`;
    case 'note':
      return e.text;
  }
}

/**
 * The text an allow-list matcher sees for one piece of evidence: the untrusted identifying parts
 * (cmdline, fd target, socket row, connection detail) with their labels, on one line.
 */
export function evidenceMatchText(e: Evidence): string {
  switch (e.kind) {
    case 'process':
      return `process pid=${e.pid} state=${e.state} cmdline=${e.cmdline}`;
    case 'fd':
      return `fd pid=${e.pid} fd=${e.fd} target=${e.target} cmdline=${e.cmdline}`;
    case 'socket':
      return `socket ${e.state} ${e.local} ${e.remote} pid=${e.pid ?? ''} inode=${e.inode}`;
    case 'connection':
      return `connection ${e.generator} ${e.id} ${e.detail}`;
    case 'note':
      return `note ${e.text}`;
  }
}

/** A generator that did not run because it does not apply to the target (a tunnel or proxy-only cases in server mode). */
export const isSkipped = (l: LoadStats): boolean => (l.extra?.skipped ?? 0) > 0;
export const skippedText = (report: Report): string => `skipped (does not apply in ${report.target.mode} mode)`;

export type CheckStatus = 'pass' | 'fail' | 'waived';
export const checkStatus = (c: CheckResult): CheckStatus => (c.pass ? 'pass' : c.allowedBy ? 'waived' : 'fail');

/** An interrupted run in one line: what stopped it, where, and what its cleanup did; null for a judged run. */
export function interruptionText(report: Report): string | null {
  const i = report.interruption;
  if (report.verdict !== 'interrupted' || !i) return null;
  const what =
    i.signal === 'supervisor-lost'
      ? 'the harness lost its supervisor'
      : i.signal === ABORTED
        ? 'the caller aborted it (the AbortSignal given to stress())'
        : i.recordedBy === 'supervisor'
          ? `the harness itself was killed (${i.signal}); its supervisor cleaned up`
          : `the harness received ${i.signal}`;
  const killed = i.killed > 0 ? `, and ${i.killed} process${i.killed === 1 ? '' : 'es'} of the target outside its group` : '';
  return `interrupted during the ${i.phase} phase: ${what}. No verdict: this says nothing about the target's cleanup. The run's cleanup ended the target's process group${killed}.`;
}

/** The target's logs when one was cut short or stopped (a size cap, a write error); null when both are whole. */
export function logsText(report: Report): string | null {
  const parts: string[] = [];
  for (const [name, l] of Object.entries(report.logs ?? {})) {
    if (l.error) parts.push(`target.${name}.log stopped: ${l.error} (${formatBytes(l.kept)} of ${formatBytes(l.bytes)} kept)`);
    else if (l.truncated)
      parts.push(`target.${name}.log truncated: ${formatBytes(l.bytes)} written, its head and tail kept (${formatBytes(l.kept)})`);
  }
  return parts.length ? parts.join('; ') : null;
}

/** `handoff exec`: the command's own outcome, apart from the leak verdict; null for other runs */
export function execText(report: Report): string | null {
  const e = report.exec;
  if (!e) return null;
  const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
  return `the command ${how} after ${formatMs(e.durationMs)}${e.failed ? ' (its failure, reported apart from the leak verdict)' : ''}`;
}

export function headline(report: Report): string {
  const stopped = interruptionText(report);
  if (stopped) return stopped;
  const failed = report.checks.filter((c) => checkStatus(c) === 'fail').length;
  const thresholdsFailed = (report.thresholds ?? []).filter((t) => !t.pass).length;
  const expired = (report.allowList ?? []).filter((a) => a.expired).length;
  const parts = [`${failed} of ${report.checks.length} checks failed`];
  const short = inconclusiveText(report);
  if (short) parts.push(short);
  if (report.thresholds?.length) parts.push(`${thresholdsFailed} of ${report.thresholds.length} thresholds failed`);
  if (expired) parts.push(`${expired} allow-list ${expired === 1 ? 'entry has' : 'entries have'} expired`);
  const exec = execText(report);
  if (exec) parts.push(exec);
  return parts.join(', ');
}

export function runTitle(report: Report): string {
  const target =
    report.target.kind === 'reference-proxy' ? `strategy ${report.strategy ?? '?'}` : `command ${report.target.command.join(' ')}`;
  return `suite ${report.suite}, ${target}${report.fault ? `, fault ${report.fault}` : ''}`;
}

export const requestsPerSecond = (l: LoadStats): number | null => (l.durationMs > 0 ? (l.requests * 1000) / l.durationMs : null);

export const phaseOf = (report: Report, t: number): string | null => report.phases.find((p) => t >= p.start && t <= p.end)?.name ?? null;

/** One protocol finding as a line: `abuse cl-te: expected refused, got 200 (×3)`. */
export const protocolText = (f: ProtocolFinding): string => `${f.generator} ${f.case}: expected ${f.expected}, got ${f.got} (×${f.count})`;

/** What the protocol section says before its list: what the findings are and whether they gate. */
export function protocolIntro(report: Report): string | null {
  const p = report.protocol;
  if (!p || p.findings.length === 0) return null;
  const n = p.findings.reduce((sum, f) => sum + f.count, 0);
  return p.gated
    ? `${n} answers of the target to abusive input or failed origins differed from what the cases expect; --strict-protocol counts them against the error budget.`
    : `${n} answers of the target to abusive input or failed origins differed from what the cases expect. How a server answers bad input is not a cleanup fact: these do not fail the run (--strict-protocol gates on them).`;
}

/** `churn: 37 of 100 connections EOF-timed` for a generator short of its floor. */
export const evidenceCountText = (e: EvidenceCount): string =>
  e.floor > 0 ? `${e.generator}: ${e.count} of ${e.floor} ${e.unit}` : `${e.generator}: ${e.count} ${e.unit}`;

/** Why a run is inconclusive, in one line, or null when its evidence floor was met (or not recorded). */
export function inconclusiveText(report: Report): string | null {
  const f = report.evidenceFloor;
  // a failure stands however little was gathered: only a run that would otherwise pass is short of evidence
  if (!f || f.met || report.verdict !== 'inconclusive') return null;
  const short = f.generators.filter((g) => g.count < g.floor);
  return `not enough evidence for a verdict within the ${formatMs(f.capMs)} load cap (${f.rounds} rounds): ${short.map(evidenceCountText).join('; ')}`;
}
