// A target writing stdout without a single newline (issue 18) used to grow the harness without bound with
// quadratic CPU (32 MiB: 366–471 MB RSS) and lose part of its log. Now lines are parsed only until readiness,
// a pending line is capped, and each log keeps its head and tail with the report saying so.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import t from 'tap';
import type { Report } from '../../src/model/report.js';
import { LOG_CAP_BYTES } from '../../src/harness/capped-log.js';
import { cliPath, packageRoot } from '../../src/paths.js';
import { untappedNode } from '../helpers/untapped.js';
import { tempReportDir } from './helpers.js';

const FLOOD = 32 * 1024 * 1024;

t.test('32 MiB of stdout with no newline: bounded harness memory, a capped log, said in the report', async (t) => {
  const dir = tempReportDir(t);
  const suite = join(dir, 'suite.json');
  writeFileSync(
    suite,
    JSON.stringify({ duration: '1s', connections: 2, drain: '500ms', shutdown: '1s', warmup: '300ms', load: [{ generator: 'flood' }] }),
  );
  const server = join(packageRoot, 'test/harness/fixtures/noisy-server.py');
  const [cmd, args] = untappedNode([
    cliPath(),
    'stress',
    '--quiet',
    '--mode',
    'server',
    '--echo',
    '--suite',
    suite,
    '--load-cap',
    '0',
    '--report-dir',
    dir,
    '--',
    'python3',
    server,
    '{port}',
    String(FLOOD),
  ]);
  // no supervisor: the pid spawned is the harness whose memory is measured
  const cli = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HANDOFF_NO_SUPERVISOR: '1' } });
  let out = '';
  cli.stdout.on('data', (c: Buffer) => (out += c));
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${cli.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      /* exited */
    }
  }, 50);
  const killer = setTimeout(() => cli.kill('SIGKILL'), 60_000);
  await new Promise((r) => cli.on('close', r));
  clearInterval(poll);
  clearTimeout(killer);
  const path = /report: (\S+report\.json)/.exec(out)?.[1];
  t.ok(path, 'a report');
  if (!path) return;
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  t.ok(peakKb > 0 && peakKb < 250 * 1024, `harness peak RSS ${Math.round(peakKb / 1024)} MB (was 366–471 MB)`);
  t.ok(report.load.flood.requests > 0, `the load still ran (${report.load.flood.requests} responses)`);
  t.equal(report.logs?.stdout.truncated, true, 'the report says the stdout log was truncated');
  t.ok((report.logs?.stdout.bytes ?? 0) >= FLOOD, `it counts every byte written (${report.logs?.stdout.bytes})`);
  const log = join(path, '..', 'target.stdout.log');
  t.ok(statSync(log).size <= LOG_CAP_BYTES + 256, `the log is capped (${statSync(log).size} bytes)`);
  t.match(
    readFileSync(log, 'latin1').slice(LOG_CAP_BYTES / 2, LOG_CAP_BYTES / 2 + 200),
    /bytes cut here/,
    'with the cut marked where head meets tail',
  );
  t.match(out, /logs: target\.stdout\.log truncated/, 'and the summary says so');
});
