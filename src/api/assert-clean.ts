// assertClean(result): the one line a test needs. Throws when the run did not pass, with a message a test
// runner prints as is — the verdict, each failing check with its first pieces of evidence, and where the report is.
import type { Evidence } from '../model/report.js';
import { evidenceText } from '../report/text.js';
import type { StressResult } from './stress.js';

const SHOWN = 5;

export class LeakError extends Error {
  readonly result: StressResult;
  constructor(message: string, result: StressResult) {
    super(message);
    this.name = 'LeakError';
    this.result = result;
  }
}

export function assertClean(result: StressResult): void {
  if (result.passed) return;
  const lines = [`handoff: ${result.verdict.toUpperCase()} (exit ${result.exitCode}) — report ${result.runDir}`];
  for (const c of result.failures) {
    lines.push(`  ${c.id}: ${c.summary}`);
    const shown: Evidence[] = c.evidence.slice(0, SHOWN);
    for (const e of shown) lines.push(`    ↳ ${evidenceText(e)}`);
    if (c.evidence.length > SHOWN) lines.push(`    … and ${c.evidence.length - SHOWN} more`);
  }
  if (result.verdict === 'inconclusive')
    lines.push('  not enough evidence: the load did not reach its floor (report.md, "Evidence gathered")');
  throw new LeakError(lines.join('\n'), result);
}
