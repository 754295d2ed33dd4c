// The start phase's parts outside the sequence itself: the sampler on the started target (who counts as the
// target's orphan), and the record of a failure — a target that never started still leaves a record where CI
// looks (report.md, junit.xml, latest), written before the error goes up.
import { basename } from 'node:path';
import { version } from '../../version.js';
import type { TargetStartError } from '../../util/errors.js';
import { writeStartFailure } from '../../report/start-failure.js';
import { redactArgv, redactSecrets } from '../../proxy/credentials.js';
import type { RunOptions } from '../run.js';
import { Sampler } from '../probes/sampler.js';
import { isAdopted, isSubreaper } from '../subreaper.js';
import { MARKER_NAME, type Target } from '../target.js';

/**
 * The run's sampler, started. ownChildren: children of ours that are not the target's (the root, the guardian,
 * load tools); loadGroups: process groups of load tools the harness started, whose orphans are theirs.
 */
export function startSampler(
  tgt: Target,
  a: {
    runId: string;
    sampleHz: number;
    ignore: RegExp[];
    clock: () => number;
    ownChildren: ReadonlySet<number>;
    loadGroups: ReadonlySet<number>;
  },
): Sampler {
  const sampler = new Sampler({
    rootPid: tgt.pid,
    marker: { name: MARKER_NAME, value: a.runId },
    intervalMs: Math.max(10, Math.round(1000 / a.sampleHz)),
    ignore: a.ignore,
    now: a.clock,
    adopted: isSubreaper() ? (stat, rootStart) => isAdopted(stat, rootStart, a.ownChildren) && !a.loadGroups.has(stat.pgrp) : undefined,
  });
  sampler.start();
  return sampler;
}

export function recordStartFailure(
  err: TargetStartError,
  opts: RunOptions,
  runId: string,
  startedAt: Date,
  runDir: string,
  warn: (m: string) => void,
): void {
  const startCredentials = opts.target.kind === 'reference-proxy' ? [opts.target.proxy.auth] : [];
  try {
    const written = writeStartFailure(
      {
        schema: 1,
        tool: { name: 'handoff', version },
        runId,
        startedAt: startedAt.toISOString(),
        suite: opts.suite.name,
        strategy: opts.strategy,
        command: redactArgv(err.context.command, startCredentials),
        message: redactSecrets(err.message, startCredentials),
        stderr: redactSecrets(err.context.stderr, startCredentials),
        exitCode: err.context.exitCode,
        signal: err.context.signal,
      },
      runDir,
      opts.formats ?? ['json'],
      { warn },
    );
    err.record = { dir: runDir, files: written.map((f) => basename(f)) };
  } catch (e) {
    warn(`could not record the failed start in ${runDir}: ${(e as Error).message}`);
  }
}
