// The tree's style is kept by a tool, not by review: `biome ci` (format + lint, warnings as errors) over the
// whole tree, as biome.jsonc configures it. The second test shows the gate can fail.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../src/paths.js';

const biome = join(packageRoot, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');

function biomeCi(cwd: string, ...extra: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [biome, 'ci', '--error-on-warnings', '--colors=off', '--max-diagnostics=20', ...extra, '.'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

t.test('the tree is formatted and lint-clean (npx biome check --write . fixes most of it)', (t) => {
  const r = biomeCi(packageRoot);
  t.equal(r.status, 0, r.status === 0 ? 'biome ci passes' : r.output);
  t.end();
});

t.test('the gate fails on a misformatted file and on a lint error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-biome-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(packageRoot, 'biome.jsonc'), join(dir, 'biome.jsonc'));
  writeFileSync(join(dir, 'package.json'), '{}\n');
  const src = join(dir, 'src');
  cpSync(join(packageRoot, 'src', 'util', 'duration.ts'), join(src, 'ok.ts'));
  t.equal(biomeCi(dir, '--vcs-enabled=false').status, 0, 'a file of the tree passes in the copy');
  writeFileSync(join(src, 'bad-format.ts'), 'export const x = {a:1,\n\n\n   b:2}\n');
  const format = biomeCi(dir, '--vcs-enabled=false');
  t.not(format.status, 0, 'misformatted: fails');
  t.match(format.output, /bad-format\.ts/);
  rmSync(join(src, 'bad-format.ts'));
  writeFileSync(
    join(src, 'bad-lint.ts'),
    "export function f(s: string): number {\n  let i: number;\n  while ((i = s.indexOf('x')) >= 0) s = s.slice(i + 1);\n  return s.length;\n}\n",
  );
  const lint = biomeCi(dir, '--vcs-enabled=false');
  t.not(lint.status, 0, 'assignment in an expression: fails');
  t.match(lint.output, /noAssignInExpressions/);
  t.end();
});
