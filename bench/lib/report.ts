// bench.json (everything, machine-readable) and bench.md (what a person reads; its "Choosing a strategy"
// table is meant to be pasted into the README).
import type { SoakResult } from '../system/soak.js';
import { renderForkChurn, type ForkChurnResult } from '../fork-churn.js';
import type { SamplerCost } from '../sampler-cost.js';
import type { HandoffLatencyResult } from '../micro/handoff-latency.js';
import type { ProcessStartResult } from '../micro/process-start.js';
import type { ProbeCostResult } from '../micro/probe-cost.js';
import type { HeadroomResult } from '../system/headroom.js';
import type { ChurnThreadsResult } from '../system/churn-threads.js';
import type { MatrixResult } from '../system/matrix.js';
import type { BenchSettings } from './context.js';
import type { MachineInfo } from './machine.js';
import { peakRate, type TargetResult } from './targets.js';

export interface BenchReport {
  schema: 1;
  id: string;
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  machine: MachineInfo;
  settings: BenchSettings;
  /** benchmarks that ran, in order */
  ran: string[];
  results: {
    processStart?: ProcessStartResult;
    handoffLatency?: HandoffLatencyResult;
    probeCost?: ProbeCostResult;
    samplerCosts?: SamplerCost[];
    headroom?: HeadroomResult;
    churnThreads?: ChurnThreadsResult;
    matrix?: MatrixResult;
    forkChurn?: ForkChurnResult;
    soak?: SoakResult;
  };
  errors: { bench: string; message: string }[];
  targets: TargetResult[];
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const num = (x: number | null | undefined, digits = 1): string => (x == null || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const ms = (x: number | null | undefined): string => (x == null || !Number.isFinite(x) ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function targetsSection(targets: TargetResult[]): string {
  const rows = targets.map((t) => {
    const value = t.ratio === null ? '–' : t.id.startsWith('sampler-cpu') ? `${t.ratio} %` : `${t.ratio.toFixed(2)}×`;
    const met = t.met === null ? `not measured (${t.missing ?? 'missing input'})` : t.met ? '**met**' : '**missed**';
    return [t.target, t.measured, value, met];
  });
  return `## Targets\n\nRatios of figures measured in this run (interleaved, medians of repeats).\n\n${table(['target', 'measured', 'ratio', 'met'], rows)}\n`;
}

/** The largest tree PSS over cells that read it, or '–'. */
function pssOf(cells: MatrixResult['cells']): string {
  const known = cells.map((c) => c.peakPssBytes).filter((v): v is number => typeof v === 'number');
  return known.length > 0 ? mib(Math.max(...known)) : '–';
}

function choosingSection(m: MatrixResult): string {
  const rows: string[][] = [];
  for (const s of m.subjects) {
    if (s.skipped) {
      rows.push([s.label, '–', '–', '–', '–', '–', '–', '–', '–', `skipped: ${s.skipped}`]);
      continue;
    }
    const cells = m.cells.filter((c) => c.subject === s.id);
    if (cells.length === 0) continue;
    const ka = peakRate(m, s.id, 'keepalive');
    const ch = peakRate(m, s.id, 'churn');
    const ka8 = cells.find((c) => c.kind === 'keepalive' && c.connections === 8) ?? cells.find((c) => c.kind === 'keepalive');
    const ch1 = cells.find((c) => c.kind === 'churn' && c.connections === 1);
    const cpu = (kind: 'keepalive' | 'churn'): string => {
      const v = cells
        .filter((c) => c.kind === kind)
        .map((c) => c.cpuUsPerRequest)
        .filter(Number.isFinite);
      return v.length > 0 ? num(Math.min(...v), 0) : '–';
    };
    rows.push([
      s.label,
      ka ? `${num(ka.perSecond, 0)} (c=${ka.connections})` : '–',
      ch ? `${num(ch.perSecond, 0)} (c=${ch.connections})` : '–',
      ka8 ? `${ms(ka8.p50Ms)} / ${ms(ka8.p99Ms)} (c=${ka8.connections})` : '–',
      ch1 ? `${ms(ch1.p50Ms)} / ${ms(ch1.p99Ms)}` : '–',
      `${cpu('keepalive')} / ${cpu('churn')}`,
      String(Math.max(...cells.map((c) => c.peakChildren))),
      mib(Math.max(...cells.map((c) => c.peakRssBytes))),
      pssOf(cells),
      s.useWhen ?? (s.kind === 'reference' ? 'reference point, not a strategy' : ''),
    ]);
  }
  return `## Choosing a strategy\n\nBest median over concurrency ${m.concurrency.join('/')} (${m.cellMs} ms cells, ${m.repeats} interleaved rounds); through the proxy to a loopback origin. Latency in ms (keep-alive latency comes from autocannon in whole ms). CPU per request/connection: the subject's whole process tree (children included, /proc utime+stime and reaped children's cutime+cstime), lowest over concurrency levels — a figure the shared machine's noise barely moves. Peak children, RSS and PSS (whole tree) over all of the subject's cells: RSS counts a page shared by a forking server and its children once per process, PSS once (read once a second). Keep-alive cells of per-connection include one process start per connection opened.\n\n${table(
    [
      'strategy',
      'keep-alive req/s',
      'churn conn/s',
      'keep-alive p50 / p99',
      'churn p50 / p99 (c=1)',
      'CPU µs per req / per conn',
      'peak children',
      'peak RSS',
      'peak PSS',
      'use when',
    ],
    rows,
  )}\n`;
}

function matrixSection(m: MatrixResult): string {
  const parts = [
    `## Whole system\n\nEach cell: median rate over ${m.repeats} round(s), p50 / p99 latency, tree CPU per request or connection, peak children, peak tree RSS. Round order: ${m.rounds.map((r) => r.join(' → ')).join('; ')}.\n`,
  ];
  for (const kind of ['keepalive', 'churn'] as const) {
    if (!m.loads.includes(kind)) continue;
    const rows: string[][] = [];
    for (const s of m.subjects) {
      const row = [s.label];
      let any = false;
      for (const c of m.concurrency) {
        const cell = m.cells.find((x) => x.subject === s.id && x.kind === kind && x.connections === c);
        if (cell) any = true;
        row.push(
          cell
            ? `${num(cell.perSecond, 0)}/s · ${ms(cell.p50Ms)} / ${ms(cell.p99Ms)} ms · ${num(cell.cpuUsPerRequest, 0)} µs CPU · ${cell.peakChildren} ch · ${mib(cell.peakRssBytes)}${cell.errors + cell.incidents > 0 ? ` · ${cell.errors} err, ${cell.incidents} inc` : ''}`
            : s.skipped
              ? 'skipped'
              : '–',
        );
      }
      if (any || s.skipped) rows.push(row);
    }
    parts.push(
      `### ${kind === 'keepalive' ? 'Keep-alive (flood, autocannon) — requests/s' : 'Churn (one request per connection) — connections/s'}\n\n${table(['subject', ...m.concurrency.map((c) => `c=${c}`)], rows)}\n`,
    );
  }
  const paced = m.cells.filter((c) => c.kind === 'churn-paced');
  if (paced.length > 0) {
    parts.push(
      `### Paced churn (c=1, ${m.pacedRate} conn/s: below the spawn ceiling, where spares can keep up)\n\n${table(
        ['subject', 'conn/s', 'p50 ms', 'p99 ms', 'peak children'],
        paced.map((c) => [
          m.subjects.find((s) => s.id === c.subject)?.label ?? c.subject,
          num(c.perSecond),
          ms(c.p50Ms),
          ms(c.p99Ms),
          String(c.peakChildren),
        ]),
      )}\n`,
    );
  }
  const failures = m.subjects.flatMap((s) => s.failures.map((f) => `- ${s.label}: ${f}`));
  if (failures.length > 0) parts.push(`Failures:\n\n${failures.join('\n')}\n`);
  return parts.join('\n');
}

function microSection(r: BenchReport['results']): string {
  const parts: string[] = [];
  if (r.processStart) {
    const p = r.processStart;
    parts.push(
      `## Process start\n\nCPU is the children's own (cutime+cstime of this process after reaping them), wall from tinybench.\n\n${table(
        ['process', 'starts', 'wall p50 ms', 'wall p99 ms', 'CPU ms per start'],
        [p.bare, p.childEntry].map((c) => [c.name, String(c.starts), ms(c.wall.p50Ms), ms(c.wall.p99Ms), num(c.cpuMsPerStart)]),
      )}\n\nSpawn ceiling = ${p.cores} cores ÷ ${num(p.childEntry.cpuMsPerStart)} ms = **${num(p.spawnCeilingPerSec)} child starts/s** (every core doing nothing else).\n`,
    );
  }
  if (r.handoffLatency) {
    const h = r.handoffLatency;
    parts.push(
      `## Handoff latency\n\nMethod: ${h.method}; pause ${h.pauseMs} ms.\n\n${table(
        ['strategy', 'samples', 'p50 ms', 'p99 ms', 'mean ms', 'p50 over inline ms', 'retried'],
        h.rows.map((x) => [
          x.label,
          String(x.latency.samples),
          ms(x.latency.p50Ms),
          ms(x.latency.p99Ms),
          ms(x.latency.meanMs),
          ms(x.overInlineP50Ms),
          String(x.failedAttempts),
        ]),
      )}\n`,
    );
  }
  if (r.probeCost) {
    const p = r.probeCost;
    parts.push(
      `## Probe cost\n\nOne full sample (Sampler.sampleNow: tree, every fd link, TCP tables):\n\n${table(
        ['processes', 'seen', 'p50 ms', 'p99 ms', 'mean ms'],
        p.samples.map((s) => [
          String(s.processes),
          String(s.seen),
          ms(s.fullSample.p50Ms),
          ms(s.fullSample.p99Ms),
          ms(s.fullSample.meanMs),
        ]),
      )}\n\nParsers on fixture text (test/fixtures/proc/):\n\n${table(
        ['parser', 'input', 'bytes', 'ops/s', 'MB/s'],
        p.parsers.map((x) => [x.parser, x.fixture, String(x.bytes), num(x.opsPerSec, 0), num(x.mbPerSec)]),
      )}\n`,
    );
  }
  if (r.samplerCosts?.length) {
    parts.push(
      `## Sampler cost (bench/sampler-cost.ts)\n\nCPU of the bench process while the sampler watches the tree at 10 Hz, after a warm-up (first sight of every pid, JIT compilation); the idle floor is the same process with a 10 Hz timer and nothing to do.\n\n${table(
        [
          'processes',
          'threads each',
          'seconds',
          '% of one core',
          'idle floor %',
          'warm-up %',
          'sample p50 ms',
          'p95 ms',
          'full sample ms',
          'stat reads',
          'mode',
        ],
        r.samplerCosts.map((s) => [
          String(s.processes),
          String(s.threadsPerChild),
          String(s.seconds),
          `**${s.cpuPctOfCore}**`,
          String(s.idleCpuPctOfCore),
          String(s.warmUpCpuPctOfCore),
          String(s.perSampleMs.p50),
          String(s.perSampleMs.p95),
          String(s.fullSampleMs),
          String(s.table.statReads),
          s.eventsUnavailable ? `scan (${s.eventsUnavailable})` : s.mode,
        ]),
      )}\n`,
    );
  }
  if (r.churnThreads) {
    const c = r.churnThreads;
    parts.push(
      c.skipped
        ? `## Churn on more cores\n\nSkipped: ${c.skipped}\n`
        : `## Churn on more cores\n\nThe churn generator in 1 and 2 load threads (suite \`threads\`, \`--load-threads\`) against \`wrk -tN -H 'Connection: close'\` with the same thread and connection count, on the same trivial loopback server, ${c.seconds} s per run, order alternated.\n\n${table(
            ['threads', 'c', 'churn conn/s', 'wrk conn/s', 'ratio', 'churn CPU µs per conn', 'incidents'],
            c.rows.map((x) => [
              String(x.threads),
              String(x.connections),
              num(x.oursMedian, 0),
              num(x.wrkMedian, 0),
              x.ratio === null ? '–' : `${x.ratio.toFixed(2)}×`,
              num(x.oursCpuUs, 1),
              String(x.incidents),
            ]),
          )}\n`,
    );
  }
  if (r.headroom) {
    const h = r.headroom;
    parts.push(
      h.skipped
        ? `## Generator headroom\n\nSkipped: ${h.skipped}\n`
        : `## Generator headroom\n\nAgainst the same trivial loopback server (bench/reference/trivial-server.ts), ${h.seconds} s per run, one thread each, order alternated.\n\n${table(
            ['mode', 'ours', 'c', 'ours /s', 'wrk /s', 'ratio', 'ours p50 ms', 'wrk p50 ms', 'ours CPU µs each'],
            h.pairs.map((p) => [
              p.mode === 'close' ? "Connection: close (wrk -H 'Connection: close')" : 'keep-alive (wrk)',
              p.ours,
              String(p.connections),
              num(p.oursMedian, 0),
              num(p.wrkMedian, 0),
              p.wrkMedian > 0 ? `${(p.oursMedian / p.wrkMedian).toFixed(2)}×` : '–',
              ms(p.oursP50Ms),
              ms(p.wrkP50Ms),
              p.oursCpuUs === null || p.oursCpuUs === undefined ? '–' : num(p.oursCpuUs, 1),
            ]),
          )}\n${h.pairs
            .filter((p) => p.bare)
            .map(
              (p) =>
                `\nThe floor of any Node client: a bare connect/write/read-to-EOF loop in one process (bench/lib/bare-churn.ts, no parsing, timers or checks) made **${num(p.bare!.perSecMedian, 0)} conn/s = ${p.wrkMedian > 0 ? (p.bare!.perSecMedian / p.wrkMedian).toFixed(2) : '–'}× wrk** at ${num(p.bare!.cpuUsPerConn, 1)} µs CPU per connection; the churn generator reached ${p.bare!.perSecMedian > 0 ? (p.oursMedian / p.bare!.perSecMedian).toFixed(2) : '–'}× that loop at ${p.oursCpuUs === null ? '–' : num(p.oursCpuUs, 1)} µs per connection. The gap to wrk below the bare loop is one Node event loop's cost per connection (socket objects, streams, libuv connect/close), not the generator's.\n`,
            )
            .join('')}`,
    );
  }
  return parts.join('\n');
}

export function renderMarkdown(rep: BenchReport): string {
  const m = rep.machine;
  const head = `# handoff benchmarks — ${rep.id}\n\nMachine: ${m.cores} cores, ${m.cpuModel}, Node ${m.node}, ${m.platform}, kernel ${m.kernel}, ${m.memoryGiB} GiB; load average at start ${m.loadAverageAtStart} (shared machine: absolute numbers are noisy, same-run ratios are what count).\n\nStarted ${rep.startedAt}, took ${rep.durationSec} s. Ran: ${rep.ran.join(', ')}${rep.settings.quick ? ' (--quick: a smoke configuration, numbers meaningless)' : ''}.\n`;
  const errors = rep.errors.length > 0 ? `## Errors\n\n${rep.errors.map((e) => `- ${e.bench}: ${e.message}`).join('\n')}\n` : '';
  const fork =
    rep.results.forkChurn !== undefined ? `## Fork churn (bench/fork-churn.ts)\n\n${renderForkChurn(rep.results.forkChurn)}\n` : '';
  return [
    head,
    targetsSection(rep.targets),
    rep.results.matrix ? choosingSection(rep.results.matrix) : '',
    rep.results.matrix ? matrixSection(rep.results.matrix) : '',
    microSection(rep.results),
    fork,
    errors,
  ]
    .filter(Boolean)
    .join('\n');
}
