// The report of an interrupted run (verdict `interrupted`, exit 130): no check ran, so it claims nothing about
// the target; it says what stopped the run, in which phase, what the cleanup killed, and carries what the sampler
// had seen so far. The harness writes it itself, or its supervisor does from the skeleton it was sent at the start.
import type { Interruption, Phase, Report, TargetInfo } from '../model/report.js';
import { EXIT } from '../model/report.js';
import { proxyOptionsToArgs } from '../proxy/parse-options.js';
import type { Sampler } from './probes/sampler.js';
import type { TargetSpec } from './target.js';
import { machineFacts, reportHead, reportPeaks } from './report-parts.js';

/** The target as planned, before (or without) a launch: no pid, no port. */
export function plannedTargetInfo(spec: TargetSpec, mode: 'proxy' | 'server'): TargetInfo {
  return {
    kind: spec.kind,
    mode,
    command: spec.kind === 'command' ? spec.command : ['handoff', 'serve', ...proxyOptionsToArgs({ ...spec.proxy, port: 0 })],
    pid: null,
    port: null,
    pool: null,
    exit: { code: null, signal: null, afterMs: null },
  };
}

export function interruptedReport(a: {
  opts: { strategy: string | null; fault: string | null };
  runId: string;
  startedAt: Date;
  suite: string;
  target: TargetInfo;
  phases: Phase[];
  stop: Pick<Interruption, 'signal' | 'phase'>;
  killed: number;
  sampler?: Sampler | null;
  logs?: Report['logs'];
}): Report {
  return {
    ...reportHead(a.runId, a.startedAt),
    verdict: 'interrupted',
    exitCode: EXIT.interrupted,
    target: a.target,
    suite: a.suite,
    strategy: a.opts.strategy,
    fault: a.opts.fault,
    phases: a.phases,
    checks: [],
    load: {},
    peaks: reportPeaks(a.sampler),
    timeToQuietMs: null,
    timeline: (a.sampler?.timeline ?? []).map((p) => ({ ...p, t: Math.round(p.t) })),
    machine: machineFacts(),
    interruption: { signal: a.stop.signal, phase: a.stop.phase, recordedBy: 'harness', killed: a.killed },
    ...(a.logs ? { logs: a.logs } : {}),
  };
}
