// What every entry point of the API shares: the CI gate, where reports go, the config file, the working directory,
// progress lines and orphan adoption — one declaration, so stress() and exec() cannot drift apart.
import type { ReportFormat } from '../report/write.js';

export interface RunGateOptions {
  /** the CI gate, as in handoff.config.json (docs/config.md) */
  thresholds?: Record<string, string | readonly string[]>;
  allowList?: readonly { check: string; match: string; reason: string; expires: string }[];
  /** cmdline patterns of your own processes the checks must not count */
  ignores?: readonly string[];
  reportDir?: string;
  /** besides report.json, which is always written */
  formats?: readonly ReportFormat[];
  /** a handoff.config.json under these options; default: found as the CLI finds it; false: none */
  config?: string | false;
  /** where relative paths (config, report dir, suite files) start, and an exec command's working directory; default process.cwd() */
  cwd?: string;
  /** progress lines; default silent */
  log?: (line: string) => void;
  /** orphans are adopted (PR_SET_CHILD_SUBREAPER on this process, as the CLI does); default true */
  adoptOrphans?: boolean;
}
