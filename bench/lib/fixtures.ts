// The fixture servers of test/harness/fixtures as command targets of `handoff stress`: the C accept/fork server
// (compiled here with `cc`), the same model on Python's ForkingMixIn, and a stock stdlib ForkingMixIn server —
// each with a leak class at a rate given by the same three flags.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import type { FixtureId, LeakClass } from './accuracy-matrix.js';

export const fixturePath = (name: string): string => join(packageRoot, 'test/harness/fixtures', name);

/** The fixtures' flag for each leak class they have. */
export const FIXTURE_RATE_FLAG: Partial<Record<LeakClass, string>> = {
  'kept-socket': '--keep-socket-rate',
  'kept-fd': '--keep-fd-rate',
  unreaped: '--no-reap-rate',
};

export type Built = { ok: true; path: string } | { ok: false; reason: string };

/** Compiles forking-server.c into outDir with the system's `cc`; a missing compiler is a reason, not a throw. */
export function buildCFixture(outDir: string): Built {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, 'forking-server');
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', path, fixturePath('forking-server.c')], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { ok: false, reason: `no C compiler (cc: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `cc failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  return { ok: true, path };
}

/** Whether python3 runs here (the Python fixtures need it). */
export function pythonAvailable(): boolean {
  const r = spawnSync('python3', ['-c', 'import socketserver'], { timeout: 10_000 });
  return !r.error && r.status === 0;
}

/**
 * The target command (with `{port}`) for a fixture, clean or with one leak class at a rate. `cBinary` is the
 * compiled C fixture. Throws for a class the fixture does not have (the matrix never asks for one).
 */
export function fixtureCommand(id: FixtureId, leak: LeakClass | null, rate: number | null, cBinary: string | null): string[] {
  const flag = leak === null ? null : FIXTURE_RATE_FLAG[leak];
  if (leak !== null && (!flag || rate === null)) throw new Error(`fixture ${id} has no ${leak} leak`);
  const bug = flag ? [flag, String(rate)] : [];
  switch (id) {
    case 'c-forking':
      if (!cBinary) throw new Error('the C fixture is not built');
      return [cBinary, '{port}', ...bug];
    case 'py-forking':
      return ['python3', fixturePath('forking-server.py'), '{port}', ...bug];
    case 'py-stdlib':
      if (leak !== null) throw new Error('py-stdlib runs clean only');
      return ['python3', fixturePath('stdlib-forking.py'), '{port}'];
  }
}
