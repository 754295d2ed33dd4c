// `handoff exec [options] -- <command…>`: flags (over handoff.config.json) → exec options → run → CI gate →
// reports → summary on stdout → exit code: 0 clean and the command passed, 1 a leak (whatever the command did),
// 5 clean but the command failed, 2 usage, 3 the command could not be started, 130 interrupted.
import { join, relative } from 'node:path';
import { gateOf, loadConfig } from '../config/load.js';
import { gateFinalizer } from '../gate/apply.js';
import { runExec, type ExecOptions } from '../harness/exec.js';
import { parseIgnorePattern } from '../harness/ignore-pattern.js';
import { parseRunOverrides } from '../harness/run-overrides.js';
import type { HandoffConfig } from '../config/types.js';
import type { Report } from '../model/report.js';
import { parseFormats } from '../report/formats.js';
import { parseDuration } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import { describeEvidence } from './summary.js';
import { commandShell, type CommandIo } from './watchdog.js';

/** CLI flags (commander's camelCase keys) and the command → exec options, config under them. */
export function execOptionsFromFlags(flags: Record<string, unknown>, command: string[], config: HandoffConfig): ExecOptions {
  const cmd = command.length > 0 ? command : (config.exec.command ?? []);
  if (cmd.length === 0)
    throw new UsageError('handoff exec needs a command: handoff exec [options] -- <command…> (or exec.command in the config)');
  const graceText = (flags.grace as string | undefined) ?? config.exec.grace ?? undefined;
  const graceMs = graceText === undefined ? undefined : parseDuration(graceText, '--grace');
  const zombieText = flags.zombieBound as string | undefined;
  const timeoutText = (flags.timeout as string | undefined) ?? config.exec.timeout ?? undefined;
  const cliIgnores = Array.isArray(flags.ignore) ? (flags.ignore as string[]) : [];
  const ignore = [...config.ignores, ...cliIgnores].map((p) => parseIgnorePattern(String(p), '--ignore'));
  const { sampleHz = 10 } = parseRunOverrides({ sampleHz: flags.sampleHz as string | undefined });
  const formatText = (flags.format as string | undefined) ?? config.report.formats?.join(',');
  return {
    command: cmd,
    reportDir: (flags.reportDir as string | undefined) ?? config.report.dir ?? 'reports',
    formats: parseFormats(formatText),
    ignore,
    sampleHz,
    graceMs,
    zombieBoundMs: zombieText === undefined ? undefined : parseDuration(zombieText, '--zombie-bound'),
    timeoutMs: timeoutText === undefined ? undefined : parseDuration(timeoutText, '--timeout', 1),
  };
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The short human summary of an exec run (stdout). */
export function formatExecSummary(report: Report, reportPath: string, cwd = process.cwd()): string {
  const lines: string[] = [];
  const e = report.exec;
  const how = e ? (e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`) : 'interrupted';
  lines.push(
    `handoff exec: ${report.verdict.toUpperCase()} (command ${clip(report.target.command.join(' '), 60)}, ${how}${e ? ` after ${e.durationMs} ms` : ''})`,
  );
  const width = Math.max(0, ...report.checks.map((c) => c.id.length));
  for (const c of report.checks) {
    lines.push(`  ${(c.pass ? 'pass' : c.allowedBy ? 'allowed' : 'FAIL').padEnd(7)} ${c.id.padEnd(width)}  ${c.summary}`);
    if (!c.pass) for (const ev of c.evidence.slice(0, 3)) lines.push(`  ${''.padEnd(7)} ${''.padEnd(width)}  ↳ ${describeEvidence(ev)}`);
  }
  for (const t of report.thresholds ?? [])
    lines.push(`  ${(t.pass ? 'pass' : 'FAIL').padEnd(7)} threshold ${t.metric} ${t.expr} (value ${t.value ?? 'none'})`);
  if (e?.failed) lines.push(`  command failed (${how}): reported apart from the leak verdict; exit ${report.exitCode}`);
  const rel = relative(cwd, reportPath);
  lines.push(`  report: ${rel.startsWith('..') ? reportPath : rel}`);
  return `${lines.join('\n')}\n`;
}

export async function runExecCommand(cliFlags: Record<string, unknown>, command: string[], io: CommandIo = {}): Promise<number> {
  return commandShell(io, async (out, err) => {
    const config = loadConfig(cliFlags.config as string | undefined);
    const options = execOptionsFromFlags(cliFlags, command, config);
    const gate = gateOf(config);
    options.finalize = gateFinalizer(gate);
    options.warn = (m) => err(`handoff: warning: ${m}\n`);
    if (!cliFlags.quiet) options.log = (line) => err(`handoff: ${line}\n`);
    // the command's output goes where it would without handoff (the summary comes after it)
    options.onOutput = (stream, chunk) => void (stream === 'stdout' ? process.stdout : process.stderr).write(chunk);
    const result = await runExec(options);
    out(formatExecSummary(result.report, join(result.runDir, 'report.json')));
    return result.report.exitCode;
  });
}
