// SIGINT/SIGTERM to the harness during a run (a Ctrl-C, a CI cancellation), the loss of its supervisor, or the
// API caller's AbortSignal: the
// run stops in whatever phase it is, runs the same cleanup as a finished run (sweep.ts), and is recorded as
// *interrupted* — its own verdict, exit 130, never a leak and never the target's failure to start — without
// moving `reports/latest`. Only the first signal counts; later ones while the cleanup runs are ignored (the
// cleanup is bounded). Listeners exist only while a run does, so an embedding program's own handling is untouched.
import { ABORTED, type Interruption, type Phase } from '../model/report.js';
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

/**
 * Watches for an interruption; `phase()` names the phase the run is in at that moment. `external`: an embedding
 * program's AbortSignal (the API's `signal`), which interrupts the run as a SIGINT would, recorded as "abort".
 */
export function watchInterrupts(
  phase: () => Phase['name'],
  log: (line: string) => void = () => {},
  external?: AbortSignal,
): InterruptWatch {
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
    log(
      `${signal === 'supervisor-lost' ? 'the supervisor is gone' : signal === ABORTED ? 'aborted by the caller' : signal} during ${stop.phase}: stopping, cleaning up, recording the run as interrupted`,
    );
    controller.abort();
    resolveStop(stop);
  };
  const handlers = SIGNALS.map((s) => [s, () => trip(s)] as const);
  const release = claimSignals();
  for (const [s, h] of handlers) process.on(s, h);
  const unlink = onSupervisorLost(() => trip('supervisor-lost'));
  const onAbort = (): void => trip(ABORTED);
  if (external?.aborted) queueMicrotask(onAbort);
  else external?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    state: () => stop,
    interrupted,
    dispose() {
      for (const [s, h] of handlers) process.off(s, h);
      release();
      unlink();
      external?.removeEventListener('abort', onAbort);
    },
  };
}
