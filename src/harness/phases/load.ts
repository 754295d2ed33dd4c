// The load phase: the context every generator runs in (target, origin, tokens, the stop signal, what the
// sampler sees of the tree), the rounds up to the load cap, and the evidence floor they reached. A target that
// exits under load stops the load.
import type { Report } from '../../model/report.js';
import { basicAuthorization } from '../../proxy/credentials.js';
import type { LoadContext, LoadGenerator, LoadOutcome } from '../load/generator.js';
import { evidenceCounts, runRounds } from '../load/rounds.js';
import { findSocketHolders } from '../probes/socket-holders.js';
import type { RunOptions } from '../run.js';
import type { RunScope } from './scope.js';

export interface LoadWiring {
  opts: RunOptions;
  runId: string;
  runDir: string;
  stop: AbortController;
  /** requests answered so far, over every generator */
  responses: () => number;
  /** a process the harness started for the load (--load-cmd): its group is not the target's */
  ownChild: (pid: number) => void;
  /** SIGTERM the target under load (chaos); the shutdown phase judges that shutdown */
  terminateTarget: () => Promise<void>;
}

export function loadContext(scope: RunScope, w: LoadWiring): LoadContext {
  const { opts } = w;
  const { target: tgt, origin: org, sampler: smp, suite } = scope;
  return {
    mode: opts.mode,
    targetKind: tgt.kind,
    target: { host: tgt.host, port: tgt.port },
    origin: { host: org.host, port: org.port },
    checkTokens: opts.mode === 'proxy' || opts.echo,
    expectStatus: suite.expectStatus ? (s) => suite.expectStatus!.includes(s) : (s) => s >= 200 && s < 300,
    clock: scope.clock,
    signal: w.stop.signal,
    nextToken: (() => {
      let n = 0;
      const prefix = w.runId.slice(-4);
      return (g: string) => `${prefix}-${g}-${(++n).toString(36)}`;
    })(),
    echo: { host: org.host, port: org.echoPort },
    strictProtocol: opts.strictProtocol === true,
    ...(opts.target.kind === 'reference-proxy' && opts.target.proxy.auth
      ? { proxyAuthorization: basicAuthorization(opts.target.proxy.auth) }
      : {}),
    responses: w.responses,
    runDir: w.runDir,
    ownChild: w.ownChild,
    tree: () => smp.latest()?.tree ?? smp.sampleNow().tree,
    holdersOf: (clientPort) => findSocketHolders(smp.latest()?.tree ?? smp.sampleNow().tree, tgt.port, clientPort),
    terminateTarget: w.terminateTarget,
  };
}

export interface Loaded {
  outcomes: LoadOutcome[];
  evidenceFloor: Omit<NonNullable<Report['evidenceFloor']>, 'met'>;
}

/**
 * The rounds, and their evidence against each generator's floor. terminatedEarly: the suite SIGTERMed the target
 * under load (shutdown, chaos), which ends the load itself: no floor to reach.
 */
export async function runLoad(
  generators: LoadGenerator[],
  ctx: LoadContext,
  loadCapMs: number,
  terminatedEarly: () => boolean,
): Promise<Loaded> {
  const { outcomes, rounds } = await runRounds(generators, ctx, loadCapMs);
  const counts = evidenceCounts(generators, outcomes).map((c) => (terminatedEarly() ? { ...c, floor: 0 } : c));
  return { outcomes, evidenceFloor: { capMs: loadCapMs, rounds, generators: counts } };
}
