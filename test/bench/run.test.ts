// Smoke test of the benchmark runner in a tiny configuration: it runs, writes bench.json and bench.md with
// machine info, evaluates the targets it has inputs for, and leaves no process behind. No speed assertions.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compiled } from '../../src/paths.js';
import { parseRunArgs } from '../../bench/run.js';
import { parseWrkOutput } from '../../bench/system/wrk.js';
import { median, percentile, ratio } from '../../bench/lib/stats.js';
import { hasMarker, listPids } from '../../src/harness/probes/proc-reader.js';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [compiled('bench/run.js'), ...args],
      { timeout: 150_000, killSignal: 'SIGINT' },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
    void child;
  });
}

/** Live processes started with the run's marker (the proxies and helpers the bench launched). */
function marked(runId: string): number[] {
  return listPids().filter((pid) => pid !== process.pid && hasMarker(pid, 'HANDOFF_RUN_ID', runId) === true);
}

t.test('argument parsing', async (t) => {
  const a = parseRunArgs(['--only', 'churn,micro', '--quick']);
  t.same(a.only, ['process-start', 'probe-cost', 'handoff-latency', 'churn']);
  t.equal(a.settings.quick, true);
  t.equal(a.settings.repeats, 1);
  t.same(parseRunArgs([]).settings.concurrency, [1, 8, 64]);
  t.same(parseRunArgs(['--concurrency=2,4']).settings.concurrency, [2, 4]);
  t.throws(() => parseRunArgs(['--only', 'nope']), { name: 'BenchUsageError' });
  t.throws(() => parseRunArgs(['--subjects', 'nope']), { name: 'BenchUsageError' });
  t.throws(() => parseRunArgs(['--repeats', '0']), { name: 'BenchUsageError' });
});

t.test('helpers', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 2, 3]), 2.5);
  t.equal(median([Number.NaN, 5]), 5);
  t.equal(percentile([1, 2, 3, 4], 50), 2);
  t.equal(ratio(1, 0), null);
  t.equal(ratio(3, 4), 0.75);
  const wrk = parseWrkOutput(
    'Running 1s test @ http://127.0.0.1:1/\n  1 threads and 8 connections\n  Latency Distribution\n     50%  350.00us\n     75%  1.20ms\n     90%  2.00ms\n     99%    1.50s\n  12345 requests in 1.00s, 1.00MB read\n  Socket errors: connect 0, read 3, write 0, timeout 1\nRequests/sec:  12345.67\nTransfer/sec:      1.00MB\n',
  );
  t.same(wrk, { perSecond: 12345.67, requests: 12345, p50Ms: 0.35, p99Ms: 1500, socketErrors: 4, non2xx: 0 });
});

t.test('usage error exits 2 with one line', async (t) => {
  const r = await run(['--only', 'bogus']);
  t.equal(r.code, 2);
  t.match(r.stderr, /unknown benchmark "bogus"/);
});

t.test('quick run writes json and md', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'handoff-bench-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = await run([
    '--quick',
    '--only',
    'process-start,probe-cost,churn,keepalive',
    '--subjects',
    'inline,minimal-proxy',
    '--out',
    out,
  ]);
  t.equal(r.code, 0, r.stderr.slice(-2000));
  t.match(r.stdout, /bench report: /);
  const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'));
  t.equal(report.schema, 1);
  t.ok(report.machine.cores >= 1);
  t.type(report.machine.cpuModel, 'string');
  t.match(report.machine.node, /^v\d+/);
  t.same(report.errors, []);
  t.same(report.ran, ['process-start', 'probe-cost', 'keepalive', 'churn']);
  t.ok(report.results.processStart.childEntry.cpuMsPerStart > 0, 'child CPU measured');
  t.ok(report.results.processStart.spawnCeilingPerSec > 0);
  const cells = report.results.matrix.cells as { subject: string; kind: string; connections: number; runs: unknown[] }[];
  for (const subject of ['inline', 'minimal-proxy']) {
    for (const kind of ['keepalive', 'churn']) {
      for (const c of [1, 8])
        t.ok(
          cells.find((x) => x.subject === subject && x.kind === kind && x.connections === c && x.runs.length === 1),
          `${subject} ${kind} c=${c}`,
        );
    }
  }
  const ka = report.targets.find((x: { id: string }) => x.id === 'inline-keepalive-vs-minimal');
  t.type(ka.ratio, 'number', 'a target with both inputs has a ratio');
  t.type(ka.met, 'boolean');
  const tiny = report.targets.find((x: { id: string }) => x.id === 'inline-churn-vs-tinyproxy');
  t.equal(tiny.met, null, 'a target without its reference is not judged');
  const md = readFileSync(join(out, 'bench.md'), 'utf8');
  t.match(md, /Machine: \d+ cores, .+, Node v\d+/);
  t.match(md, /## Targets/);
  t.match(md, /## Choosing a strategy/);
  t.match(md, /\| inline \|/);
  t.same(marked(`bench-${report.id}`), [], 'no process of the run left behind');
});
