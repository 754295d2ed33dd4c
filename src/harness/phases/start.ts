// The start phase's record of a failure: a target that never started still leaves a record where CI looks
// (report.md, junit.xml, latest), written before the error goes up.
import { basename } from 'node:path';
import { version } from '../../version.js';
import type { TargetStartError } from '../../util/errors.js';
import { writeStartFailure } from '../../report/start-failure.js';
import { redactArgv, redactSecrets } from '../../proxy/credentials.js';
import type { RunOptions } from '../run.js';

export function recordStartFailure(err: TargetStartError, opts: RunOptions, runId: string, startedAt: Date, runDir: string, warn: (m: string) => void): void {
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
