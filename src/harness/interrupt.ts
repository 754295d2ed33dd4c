// SIGINT/SIGTERM to the harness during a run (a Ctrl-C, a CI cancellation), or the loss of its supervisor: the
// run stops in whatever phase it is, runs the same cleanup as a finished run (sweep.ts), and is recorded as
// *interrupted* — its own verdict, exit 130, never a leak and never the target's failure to start — without
// moving `reports/latest`. Only the first signal counts; later ones while the cleanup runs are ignored (the
// cleanup is bounded). Listeners exist only while a run does, so an embedding program's own handling is untouched.
import type { Interruption, Phase } from '../model/report.js';
import { claimSignals } from './cleanup.js';
import { onSupervisorLost } from './supervisor.js';

export type Stop = Pick<Interruption, 'signal' | 'phase'>;

export interface InterruptWatch {
  /** aborted on the first interruption */
  readonly signal: AbortSignal;
  /** the first interruption, or null */
  state(): Stop | null;
  /** resolves on the first interruption */
  readonly interrupted: Promise<Stop>;
  dispose(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Watches for an interruption; `phase()` names the phase the run is in at that moment. */
export function watchInterrupts(phase: () => Phase['name'], log: (line: string) => void = () => {}): InterruptWatch {
  const controller = new AbortController();
  let stop: Stop | null = null;
  let resolveStop: (s: Stop) => void = () => {};
  const interrupted = new Promise<Stop>((r) => (resolveStop = r));
  const trip = (signal: string): void => {
    if (stop) {
      log(`${signal} again: still cleaning up (bounded), then the run is recorded as interrupted`);
      return;
    }
    stop = { signal, phase: phase() };
    log(`${signal === 'supervisor-lost' ? 'the supervisor is gone' : signal} during ${stop.phase}: stopping, cleaning up, recording the run as interrupted`);
    controller.abort();
    resolveStop(stop);
  };
  const handlers = SIGNALS.map((s) => [s, () => trip(s)] as const);
  const release = claimSignals();
  for (const [s, h] of handlers) process.on(s, h);
  const unlink = onSupervisorLost(() => trip('supervisor-lost'));
  return {
    signal: controller.signal,
    state: () => stop,
    interrupted,
    dispose() {
      for (const [s, h] of handlers) process.off(s, h);
      release();
      unlink();
    },
  };
}
