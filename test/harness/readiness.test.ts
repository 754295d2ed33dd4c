// Readiness for a server that listens before it can serve (503 for a while): without --ready-path the load meets
// the 503s; with --ready-path or --ready-log the load starts once it serves; a server that never gets ready within
// --ready-timeout is exit 3 saying what it waited for; bad values are exit 2. The pure parts apart.
import t from 'tap';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { lineWatcher, parseReadyLog, parseReadyPath } from '../../src/harness/readiness.js';
import { UsageError } from '../../src/util/errors.js';
import { markedPids, runCli, tempReportDir } from './helpers.js';

const server = join(packageRoot, 'test', 'harness', 'fixtures', 'slow-ready.mjs');
const smoke = join(packageRoot, 'examples', 'suites', 'smoke.json');
const WARM_MS = 1500;
const stressWarming = (warmMs: number, dir: string, ...args: string[]) =>
  runCli([
    'stress',
    '--suite',
    smoke,
    '--mode',
    'server',
    '--duration',
    '1s',
    '--report-dir',
    dir,
    '--quiet',
    ...args,
    '--',
    process.execPath,
    server,
    '{port}',
    String(warmMs),
  ]);
const stress = (dir: string, ...args: string[]) => stressWarming(WARM_MS, dir, ...args);
const startPhaseMs = (r: Awaited<ReturnType<typeof runCli>>): number => {
  const p = r.report!.phases.find((x) => x.name === 'start')!;
  return p.end - p.start;
};

t.test('the parsers', async (t) => {
  t.equal(parseReadyPath('/healthz?full=1', '--ready-path'), '/healthz?full=1');
  t.throws(() => parseReadyPath('healthz', '--ready-path'), UsageError);
  t.throws(() => parseReadyPath('/a b', '--ready-path'), UsageError);
  t.ok(parseReadyLog('listening on \\d+', '--ready-log').test('listening on 80'));
  t.throws(() => parseReadyLog('(', '--ready-log'), /invalid regular expression/);
  t.throws(() => parseReadyLog('', '--ready-log'), UsageError);
  const watch = lineWatcher(/^ready$/);
  t.equal(watch('rea'), false, 'a partial line is not a line');
  t.equal(watch('dy'), false);
  t.equal(watch('\r\nmore'), true, 'the line, once it ends (CRLF too)');
  t.equal(watch('anything'), true, 'and it stays seen');
});

t.test('without readiness the load meets the warming server', async (t) => {
  const dir = tempReportDir(t);
  // warm far longer than the 1 s load: a slow start on a busy machine must not let the load miss the 503s
  const r = await stressWarming(6_000, dir);
  t.equal(r.code, 1, r.stderr);
  t.match(JSON.stringify(r.report!.load), /"503":/, 'it answered 503 under load');
  t.same(markedPids(r.runId!), []);
});

t.test('--ready-path: the load starts once GET /healthz answers 2xx', async (t) => {
  const dir = tempReportDir(t);
  const r = await stress(dir, '--ready-path', '/healthz');
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.ok(startPhaseMs(r) >= WARM_MS - 100, `start took ${startPhaseMs(r)} ms`);
  t.notMatch(JSON.stringify(r.report!.load), /"503":/);
  t.same(markedPids(r.runId!), []);
});

t.test('--ready-log: the load starts once the target writes its line (stderr here)', async (t) => {
  const dir = tempReportDir(t);
  const r = await stress(dir, '--ready-log', '^server ready$');
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.ok(startPhaseMs(r) >= WARM_MS - 100, `start took ${startPhaseMs(r)} ms`);
  t.same(markedPids(r.runId!), []);
});

t.test('never ready within --ready-timeout: exit 3, saying what it waited for; nothing left', async (t) => {
  const dir = tempReportDir(t);
  const r = await runCli([
    'stress',
    '--suite',
    smoke,
    '--mode',
    'server',
    '--report-dir',
    dir,
    '--quiet',
    '--ready-timeout',
    '800ms',
    '--ready-path',
    '/healthz',
    '--ready-log',
    'never',
    '--',
    process.execPath,
    server,
    '{port}',
    '60000',
  ]);
  t.equal(r.code, 3, r.stderr);
  t.match(
    r.stderr,
    /accepted connections on 127\.0\.0\.1:\d+ but did not answer 2xx to GET \/healthz \(last: 503\) or write a line matching \/never\/ within 800 ms/,
  );
  const runId = /recorded in \S+\/([^/\s]+) \(/.exec(r.stderr)?.[1];
  t.ok(runId, 'its record names the run');
  t.same(markedPids(runId), [], 'the target was ended');
});

t.test('bad values and the reference proxy: exit 2, one line', async (t) => {
  for (const args of [
    ['--ready-path', 'healthz', '--mode', 'server', '--', 'true'],
    ['--ready-log', '(', '--mode', 'server', '--', 'true'],
    ['--strategy', 'inline', '--ready-path', '/healthz'],
  ]) {
    const r = await runCli(['stress', ...args], { timeoutMs: 20_000 });
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

t.test('compare passes readiness to its command targets, and refuses it for strategies', async (t) => {
  const { compareOptionsFromFlags } = await import('../../src/cli/compare.js');
  const o = compareOptionsFromFlags({ cmd: ['./a {port}', './b {port}'], mode: 'server', readyPath: '/healthz', readyLog: 'up' });
  for (const { run } of o.targets) {
    t.equal(run.target.kind === 'command' && run.target.ready?.path, '/healthz');
    t.equal(run.target.kind === 'command' && run.target.ready?.log?.source, 'up');
  }
  t.throws(
    () => compareOptionsFromFlags({ strategy: 'inline', readyPath: '/healthz' }),
    /--ready-path applies to command targets \(--cmd\)/,
  );
});
