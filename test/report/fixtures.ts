// The hand-made fixture reports (test/fixtures/reports/{pass,fail}/report.json), loaded fresh per call.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../../src/model/report.js';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'reports');

export function fixture(name: 'pass' | 'fail'): Report {
  return JSON.parse(readFileSync(join(fixturesDir, name, 'report.json'), 'utf8')) as Report;
}

/** The cmdline planted in the failing fixture to test escaping. */
export const HOSTILE_FRAGMENT = `</script><script>alert('x')</script>`;
