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
