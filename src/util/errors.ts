// Errors that carry their exit code and context, so the CLI can print one line and exit right.

/** Bad flags, bad config: exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2 as const;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The target could not be started or never accepted: exit 3. Carries what it printed. */
export class TargetStartError extends Error {
  readonly exitCode = 3 as const;
  /** the record of the failure (report.md, start-error.json, junit.xml), once written */
  record: { dir: string; files: string[] } | null = null;
  constructor(
    message: string,
    readonly context: { command: string[]; stderr: string; exitCode: number | null; signal: string | null },
  ) {
    super(message);
    this.name = 'TargetStartError';
  }
}

/** The report could not be written (a full disk): exit 74 (EX_IOERR), one line; the run's cleanup has run. */
export class ReportWriteError extends Error {
  readonly exitCode = 74 as const;
  constructor(message: string) {
    super(message);
    this.name = 'ReportWriteError';
  }
}
