// A run whose target never started (exit 3) still leaves its record where CI looks for one: start-error.json
// (machine-readable), report.md, junit.xml with one <error> when junit is asked for — so a CI test view shows
// why, instead of nothing or, through `latest`, the previous run's results — then the `latest` pointer and
// GitHub's step summary. There is no report.json: there was no run to judge (its verdict is pass or fail).
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { join } from 'node:path';
import { escapeXml as x, markdownCode } from './escape.js';
import { announceRun, type ReportFormat, type WriteOptions } from './write.js';

export const START_FAILURE_FILE = 'start-error.json';

export interface StartFailure {
  schema: 1;
  tool: { name: 'handoff'; version: string };
  runId: string;
  startedAt: string;
  suite: string;
  strategy: string | null;
  /** the target's argv as started */
  command: string[];
  message: string;
  /** the last lines the target wrote to stderr */
  stderr: string;
  exitCode: number | null;
  signal: string | null;
}

export function renderStartFailureMarkdown(f: StartFailure): string {
  const lines = [
    `# handoff: the target did not start (exit 3)`,
    '',
    `Run ${markdownCode(f.runId, false)}, suite ${markdownCode(f.suite, false)}, ${f.strategy ? `strategy ${markdownCode(f.strategy, false)}` : `command ${markdownCode(f.command.join(' '), false)}`}, ${f.startedAt}.`,
    '',
    `**${markdownCode(f.message, false)}**`,
    '',
    'No load was sent and no check ran.',
  ];
  if (f.stderr) {
    const fence = '`'.repeat(Math.max(3, ...(f.stderr.match(/`+/g) ?? []).map((r) => r.length + 1)));
    lines.push('', "The target's last stderr lines:", '', fence, f.stderr.replace(/\n$/, ''), fence);
  }
  return `${lines.join('\n')}\n`;
}

export function renderStartFailureJunit(f: StartFailure): string {
  const target = f.strategy ?? f.command.join(' ');
  const body = [f.message, f.stderr].filter(Boolean).join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="handoff" tests="1" failures="0" errors="1" time="0">`,
    `  <testsuite name="${x(`handoff ${f.suite} ${target}`)}" tests="1" failures="0" errors="1" skipped="0" time="0" timestamp="${x(f.startedAt)}">`,
    `    <testcase name="target start" classname="${x(`handoff.${f.suite}.${f.strategy ?? 'command'}`)}" time="0">`,
    `      <error message="${x(f.message)}" type="target-start-failed">${x(body)}</error>`,
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** Writes the record into the run directory; returns the paths written. */
export function writeStartFailure(f: StartFailure, dir: string, formats: ReportFormat[], options: WriteOptions = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    [START_FAILURE_FILE, `${JSON.stringify(f, null, 2)}\n`],
    ['report.md', renderStartFailureMarkdown(f)],
  ];
  if (formats.includes('junit')) files.push(['junit.xml', renderStartFailureJunit(f)]);
  const written = files.map(([name, text]) => {
    writeFileAtomic(join(dir, name), text);
    return join(dir, name);
  });
  announceRun(dir, () => renderStartFailureMarkdown(f), options);
  return written;
}
