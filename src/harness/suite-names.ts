// Where the built-in suites live and what they are called: kept apart from suite.ts (the parser) so the CLI's
// help can name them without loading the harness.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export const suiteDir = (): string => join(packageRoot, 'stress');

export function suiteNames(): string[] {
  if (!existsSync(suiteDir())) return [];
  return readdirSync(suiteDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}
