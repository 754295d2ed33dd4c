// The package as a user gets it: packed, installed into a fresh project (from the registry's cache, with and
// without install scripts), then `handoff --help`, a short stress run, a fork run (or its exit-2 message naming
// `handoff build-native`), the API through the exports map and nothing else of the tree.
import t, { type Test } from 'tap';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { markedPids } from '../harness/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'handoff-pack-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    killSignal: 'SIGKILL',
    env: { ...process.env, NO_COLOR: '1', HANDOFF_RUN_ID: undefined },
  });

const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], packageRoot);
const packed = JSON.parse(pack.stdout) as { filename: string; entryCount: number; size: number; files: { path: string }[] }[];
const tarball = join(work, packed[0].filename);

t.test('the tarball holds what a user runs, and nothing of the workshop', async (t) => {
  const paths = packed[0].files.map((f) => f.path);
  t.comment(`${packed[0].entryCount} files, ${packed[0].size} bytes packed`);
  for (const must of [
    'LICENSE',
    'README.md',
    'package.json',
    'dist/src/cli/main.js',
    'dist/src/index.d.ts',
    'dist/client/report.js',
    'dist/client/compare.js',
    'stress/ci.json',
    'native/fork.c',
    'native/binding.gyp',
    'scripts/build-native.mjs',
    'examples/handoff.config.json',
    'schema/report.schema.json',
    'schema/config.schema.json',
    'action.yml',
    'action/run.sh',
  ]) {
    t.ok(paths.includes(must), `ships ${must}`);
  }
  // every C source the addon's build names, or an install from the tarball cannot build it
  // (binding.gyp is a Python literal, not JSON: its "sources" lists are read, not the whole file parsed)
  const gyp = readFileSync(join(packageRoot, 'native/binding.gyp'), 'utf8');
  const sources = [...gyp.matchAll(/"sources"\s*:\s*\[([^\]]*)\]/g)].flatMap((m) => [...m[1]!.matchAll(/"([^"]+)"/g)].map((f) => f[1]!));
  t.ok(sources.length >= 3, `binding.gyp names its sources (${sources.join(', ')})`);
  // and every header they include from native/ ("napi-util.h")
  const headers = sources.flatMap((source) =>
    [...readFileSync(join(packageRoot, 'native', source), 'utf8').matchAll(/^#include "([^"]+)"/gm)].map((m) => m[1]!),
  );
  for (const file of new Set([...sources, ...headers])) t.ok(paths.includes(`native/${file}`), `ships native/${file}`);
  for (const never of [
    /^test\//,
    /^bench\//,
    /^src\/.*\.ts$/,
    /\.map$/,
    /^dist\/(test|bench)\//,
    /^\.ci\//,
    /^tsconfig.*\.json$/,
    /^native\/build\//,
  ]) {
    t.same(
      paths.filter((p) => never.test(p)),
      [],
      `ships nothing matching ${never}`,
    );
  }
  // one .js and one .d.ts per module of src/, one bundle per HTML page's browser code, the docs, suites, schemas, examples and the addon's source
  t.ok(packed[0].entryCount < 500, `a few hundred files (${packed[0].entryCount})`);
});

function install(name: string, extra: string[]): string {
  const app = join(work, name);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  const r = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...extra, tarball], app, 300_000);
  if (r.status !== 0) throw new Error(`npm install failed: ${r.stderr.slice(-800)}`);
  return app;
}

const handoff = (app: string, args: string[]): SpawnSyncReturns<string> =>
  run(process.execPath, [join(app, 'node_modules', 'handoff', 'dist', 'src', 'cli', 'main.js'), ...args], app);
/** Nothing carrying the marker of a run this app made is left (other tests' runs go on beside it). */
function nothingLeft(t: Test, app: string): void {
  const ids = readdirSync(join(app, 'reports')).filter((d) => d !== 'latest');
  t.ok(ids.length > 0, 'runs were recorded');
  for (const id of ids) t.same(markedPids(id), [], `nothing of run ${id} is left`);
}

/** The API as users call it: from node:test in JavaScript, and type-checked in strict TypeScript under nodenext and bundler resolution. */
function usedFromTestRunners(t: Test, app: string): void {
  writeFileSync(
    join(app, 'cleanup.test.mjs'),
    `import { test } from 'node:test';
import assert from 'node:assert';
import { stress, assertClean, LeakError } from 'handoff';
const examples = new URL('./node_modules/handoff/examples/', import.meta.url).pathname;
const base = { mode: 'server', suite: examples + 'suites/smoke.json', config: false, reportDir: 'reports' };
test('the clean server leaves nothing behind', async () => {
  assertClean(await stress({ ...base, command: ['python3', examples + 'servers/forking-server.py', '{port}'] }));
});
test('the leaky one is caught, with its evidence', async () => {
  const result = await stress({ ...base, command: ['python3', examples + 'servers/forking-server.py', '{port}', '--leak'] });
  assert.throws(() => assertClean(result), (err) => err instanceof LeakError && /fds-drained/.test(err.message));
});
`,
  );
  const nodeTest = run(process.execPath, ['--test', 'cleanup.test.mjs'], app, 180_000);
  t.equal(nodeTest.status, 0, `node --test with the API ${nodeTest.stdout.slice(-600)}`);
  writeFileSync(
    join(app, 'typed.ts'),
    `import { stress, assertClean, type StressOptions, type StressResult } from 'handoff';
const options: StressOptions = { strategy: 'per-connection', spares: 2, duration: '2s', thresholds: { p99_ms: '<250' } };
// @ts-expect-error not a strategy
const wrong: StressOptions = { strategy: 'threads' };
export async function gate(): Promise<StressResult> {
  const result = await stress(options);
  assertClean(result);
  return result;
}
void wrong;
`,
  );
  const tsc = join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [module, resolution] of [
    ['nodenext', 'nodenext'],
    ['esnext', 'bundler'],
  ]) {
    const r = run(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--module',
        module,
        '--moduleResolution',
        resolution,
        '--target',
        'es2022',
        '--typeRoots',
        join(packageRoot, 'node_modules', '@types'),
        '--types',
        'node',
        'typed.ts',
      ],
      app,
    );
    t.equal(r.status, 0, `typed use compiles under strict ${resolution} resolution ${r.stdout.slice(-600)}`);
  }
}

const quickStress = ['stress', '--duration', '1s', '--report-dir', 'reports', '--quiet'];

t.test('installed with install scripts: help, a stress run and a fork run work from the user project', async (t) => {
  const app = install('with-scripts', []);
  const help = handoff(app, ['--help']);
  t.equal(help.status, 0, 'handoff --help');
  t.match(help.stdout, /build-native/);
  const inline = handoff(app, [...quickStress, '--strategy', 'inline']);
  t.equal(inline.status, 0, `inline stress passes ${inline.stderr.slice(-300)}`);
  t.ok(readdirSync(join(app, 'reports')).length > 0, 'its report is written in the user project');
  const fork = handoff(app, [...quickStress, '--strategy', 'fork']);
  // the install script builds the addon where a compiler exists; where not, fork is a usage error naming the fix
  if (fork.status === 2) t.match(fork.stderr, /npx handoff build-native/, 'no addon: exit 2 names the command that builds it');
  else t.equal(fork.status, 0, `fork stress passes ${fork.stderr.slice(-300)}`);
  const api = run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('handoff'); console.log(typeof m.runStress, typeof m.CHECKS, m.EXIT.inconclusive)",
    ],
    app,
  );
  t.equal(api.stdout.trim(), 'function object 4', `the API through the exports map ${api.stderr.slice(-300)}`);
  const deep = run(process.execPath, ['--input-type=module', '-e', "await import('handoff/dist/src/paths.js')"], app);
  t.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/, 'internal paths are not public');
  usedFromTestRunners(t, app);
  nothingLeft(t, app);
});

t.test('installed without install scripts: fork is exit 2 naming build-native, which then builds it', async (t) => {
  const app = install('no-scripts', ['--ignore-scripts']);
  const fork = handoff(app, [...quickStress, '--strategy', 'fork']);
  t.equal(fork.status, 2, 'a usage error, not a failed start');
  t.match(
    fork.stderr,
    /--strategy fork is unavailable: the native addon was not built \(install scripts did not run\); run `npx handoff build-native`/,
  );
  t.match(fork.stderr, /orphan adoption is off/, 'one line says orphan adoption is off');
  const inline = handoff(app, [...quickStress, '--strategy', 'inline']);
  t.equal(inline.status, 0, 'everything but fork works without the addon');
  const cc = spawnSync('sh', ['-c', 'command -v cc && command -v make && command -v python3'], { encoding: 'utf8' });
  if (cc.status === 0) {
    const built = handoff(app, ['build-native']);
    t.equal(built.status, 0, `handoff build-native ${built.stderr.slice(-300)}`);
    const again = handoff(app, [...quickStress, '--strategy', 'fork']);
    t.equal(again.status, 0, `fork runs once built ${again.stderr.slice(-300)}`);
  }
  nothingLeft(t, app);
});
