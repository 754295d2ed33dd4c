// Where handoff.config.json comes from: --config, else $HANDOFF_CONFIG, else the nearest file from the cwd up to
// the repository root (a directory holding .git) — never one above it — or the filesystem root.
import t from 'tap';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverConfig, loadConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/util/errors.js';
import { runCli, tempReportDir } from '../harness/helpers.js';

/** outer/ (a config of another project) > repo/ (.git, the project's config) > packages/app/src */
function layout(t: Parameters<typeof tempReportDir>[0]): { outer: string; repo: string; deep: string } {
  const outer = tempReportDir(t);
  const repo = join(outer, 'repo');
  const deep = join(repo, 'packages', 'app', 'src');
  mkdirSync(deep, { recursive: true });
  mkdirSync(join(repo, '.git'));
  writeFileSync(join(outer, 'handoff.config.json'), JSON.stringify({ suite: 'outer' }));
  writeFileSync(join(repo, 'handoff.config.json'), JSON.stringify({ suite: 'repo' }));
  return { outer, repo, deep };
}

const noEnv = {};

t.test('found from a subdirectory, up to the repository root', async (t) => {
  const { repo, deep } = layout(t);
  t.equal(discoverConfig(deep), join(repo, 'handoff.config.json'));
  const config = loadConfig(undefined, deep, noEnv);
  t.equal(config.suite, 'repo');
  t.equal(config.source, join(repo, 'handoff.config.json'));
});

t.test('the nearest file wins', async (t) => {
  const { repo, deep } = layout(t);
  writeFileSync(join(repo, 'packages', 'app', 'handoff.config.json'), JSON.stringify({ suite: 'app' }));
  t.equal(loadConfig(undefined, deep, noEnv).suite, 'app');
});

t.test('never above the repository root: none there means no config', async (t) => {
  const { outer, repo, deep } = layout(t);
  rmSync(join(repo, 'handoff.config.json'));
  t.equal(discoverConfig(deep), null, `not ${join(outer, 'handoff.config.json')}`);
  t.equal(loadConfig(undefined, deep, noEnv).source, null);
});

t.test('outside a repository the walk ends at the filesystem root', async (t) => {
  const seen: string[] = [];
  t.equal(
    discoverConfig('/a/b', (p) => {
      seen.push(p);
      return false;
    }),
    null,
  );
  t.same(seen, ['/a/b/handoff.config.json', '/a/b/.git', '/a/handoff.config.json', '/a/.git', '/handoff.config.json', '/.git']);
  t.equal(
    discoverConfig('/a/b', (p) => p === '/handoff.config.json'),
    '/handoff.config.json',
  );
});

t.test('HANDOFF_CONFIG overrides discovery, --config overrides HANDOFF_CONFIG', async (t) => {
  const { outer, repo, deep } = layout(t);
  const ci = join(outer, 'ci.json');
  writeFileSync(ci, JSON.stringify({ suite: 'from-env' }));
  t.equal(loadConfig(undefined, deep, { HANDOFF_CONFIG: ci }).suite, 'from-env');
  t.equal(loadConfig(undefined, repo, { HANDOFF_CONFIG: '../ci.json' }).suite, 'from-env', 'relative to the cwd');
  t.equal(loadConfig(join(outer, 'handoff.config.json'), deep, { HANDOFF_CONFIG: ci }).suite, 'outer');
  t.equal(loadConfig(undefined, deep, { HANDOFF_CONFIG: '' }).suite, 'repo', 'an empty variable is unset');
  t.throws(
    () => loadConfig(undefined, deep, { HANDOFF_CONFIG: join(outer, 'nope.json') }),
    new UsageError(`config file ${join(outer, 'nope.json')} (HANDOFF_CONFIG) not found`),
  );
});

t.test("the CLI discovers it too: a bad key in the repository root's file is exit 2 naming the file", async (t) => {
  const { repo, deep } = layout(t);
  writeFileSync(join(repo, 'handoff.config.json'), JSON.stringify({ tresholds: {} }));
  const r = await runCli(['stress', '--strategy', 'inline'], { cwd: deep, env: { HANDOFF_CONFIG: '' }, timeoutMs: 20_000 });
  t.equal(r.code, 2);
  t.match(r.stderr, new RegExp(`^handoff: ${join(repo, 'handoff.config.json').replace(/[.]/g, '\\.')}: unknown key "tresholds"`));
  const viaEnv = await runCli(['stress', '--strategy', 'inline'], {
    cwd: deep,
    env: { HANDOFF_CONFIG: 'missing.json' },
    timeoutMs: 20_000,
  });
  t.equal(viaEnv.code, 2);
  t.match(viaEnv.stderr, /^handoff: config file missing\.json \(HANDOFF_CONFIG\) not found/);
});
