// Shared by the harness tests: run the real CLI, find the run it made, and scan /proc for run markers.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../../src/paths.js';
import { untappedNode } from '../helpers/untapped.js';
import type { Report } from '../../src/model/report.js';

export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** the run's report (when the summary named one) */
  report: Report | null;
  runId: string | null;
}

/** Runs `handoff stress …` as a real process (exit codes for real), killed after timeoutMs. */
export function runCli(args: string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(...untappedNode([cliPath(), ...args]), {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const m = /report: (\S+report\.json)/.exec(stdout);
      let report: Report | null = null;
      if (m) {
        const path = m[1].startsWith('/') ? m[1] : join(opts.cwd ?? process.cwd(), m[1]);
        try {
          report = JSON.parse(readFileSync(path, 'utf8')) as Report;
        } catch {
          report = null;
        }
      }
      resolve({ code, signal, stdout, stderr, report, runId: report?.runId ?? null });
    });
  });
}

export function tempReportDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Pids of live processes whose initial environment carries HANDOFF_RUN_ID (=value when given). */
export function markedPids(value?: string): number[] {
  const needle = value === undefined ? 'HANDOFF_RUN_ID=' : `HANDOFF_RUN_ID=${value}\0`;
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (value === undefined ? env.includes(needle) : `${env}\0`.includes(needle)) found.push(Number(name));
  }
  return found;
}

export const check = (report: Report, id: string) => report.checks.find((c) => c.id === id)!;

export const failedIds = (report: Report): string[] => report.checks.filter((c) => !c.pass).map((c) => c.id);

/** The escapers of escaper-server.py's case `tag`: live `sleep 3600.<tag>…` processes, by pid. */
export function escaperPids(tag: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      const state = readFileSync(`/proc/${name}/stat`, 'latin1').split(') ')[1]?.[0];
      if (state !== 'Z' && cmd.startsWith(`sleep\0${`3600.${tag}`}`)) found.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return found;
}
