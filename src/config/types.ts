// handoff.config.json as validated (see docs/config.md for the file format).
import type { ReportFormat } from '../report/write.js';
import type { Threshold } from '../gate/thresholds.js';
import type { AllowEntry } from '../gate/allow-list.js';

/** Flags of `handoff stress`, keyed as commander names them, values as the CLI would give them. */
export type StressFlags = Record<string, string | boolean | string[]>;

export interface HandoffConfig {
  /** absolute path of the file read; null when no file was found (defaults only) */
  source: string | null;
  /** suite to run when --suite is not given */
  suite: string | null;
  /** user suites: name → absolute path of a suite file, or an inline suite definition */
  suites: Record<string, string | Record<string, unknown>>;
  /** the target as stress flags (strategy and its options, or command + mode …) */
  targetFlags: StressFlags;
  /** a command target, with {port} placeholders; null for the reference proxy */
  command: string[] | null;
  /** run settings as stress flags (duration, connections, drain, sampleHz) */
  runFlags: StressFlags;
  report: { dir: string | null; formats: ReportFormat[] | null };
  thresholds: Threshold[];
  /** cmdline patterns of the user's own infrastructure processes, ignored by the checks */
  ignores: string[];
  allowList: AllowEntry[];
  /** `handoff exec`: the command to gate (when none is given after --), its grace and timeout, as flag strings */
  exec: { command: string[] | null; grace: string | null; timeout: string | null };
}
