// --load-cmd: another load tool drives the load phase. The parsers (autocannon --json, wrk), the status rule, the
// suite entry; then for real: autocannon's CLI against the reference proxy, clean (pass) and with the
// no-parent-close canary (fail); a server-mode run whose numbers come from autocannon; a tool that does not stop by
// itself is stopped (its whole group) at the end of the load phase; --load-until exit waits; wrk when installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAutocannonJson, parseLoadOutput, parseWrk } from '../../src/harness/load/parse-load-output.js';
import { parseExternalEntry, substitute, unexpectedStatuses, withLoadCommands } from '../../src/harness/load/external.js';
import { packageRoot } from '../../src/paths.js';
import { check, failedIds, markedPids, runCli, tempReportDir } from '../harness/helpers.js';

const AUTOCANNON_JSON =
  '{"url":"http://127.0.0.1:1/","connections":2,"duration":1.01,"errors":1,"timeouts":2,"non2xx":3,"1xx":0,"2xx":801,"3xx":0,"4xx":3,"5xx":0,' +
  '"statusCodeStats":{"200":{"count":801},"404":{"count":3}},"latency":{"average":2.5,"mean":2.5,"p50":2,"p90":4,"p99":9,"max":31},' +
  '"requests":{"average":801,"total":804,"sent":806}}';

const WRK_TEXT = `Running 2s test @ http://127.0.0.1:8080/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   310.52us  120.11us   4.20ms   90.12%
    Req/Sec     6.21k   301.45     6.80k    70.00%
  Latency Distribution
     50%  290.00us
     75%  340.00us
     90%  420.00us
     99%  800.00us
  24712 requests in 2.00s, 3.51MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:  12345.67
Transfer/sec:      1.75MB
`;

t.test('autocannon --json and wrk output are read into load numbers; anything else is not', async (t) => {
  const a = parseAutocannonJson(`some progress\n${AUTOCANNON_JSON}\n`)!;
  t.match(a, {
    format: 'autocannon-json',
    requests: 804,
    errors: 1,
    timeouts: 2,
    non2xx: 3,
    statuses: { 200: 801, 404: 3 },
    latencyMs: { p50: 2, p90: 4, p99: 9, max: 31, mean: 2.5 },
  });
  const w = parseWrk(WRK_TEXT)!;
  t.match(w, {
    format: 'wrk',
    requests: 24712,
    errors: 2,
    timeouts: 1,
    non2xx: 12,
    latencyMs: { p50: 0.29, p90: 0.42, p99: 0.8, max: 4.2, mean: 0.31 },
  });
  t.equal(parseLoadOutput('Summary: 12 requests, all fine\n'), null);
  t.equal(parseLoadOutput('{"not":"autocannon"}'), null);
  t.equal(parseLoadOutput(WRK_TEXT)?.format, 'wrk');
});

t.test(
  "statuses count against the error budget in server mode only (a forward proxy answers a general tool's origin-form requests 400)",
  async (t) => {
    const a = parseAutocannonJson(AUTOCANNON_JSON)!;
    const twoXx = (s: number): boolean => s >= 200 && s < 300;
    t.equal(unexpectedStatuses(a, { mode: 'server', expectStatus: twoXx }), 3, 'the 404s');
    t.equal(unexpectedStatuses(a, { mode: 'server', expectStatus: (s) => s === 200 || s === 404 }), 0, '--expect-status applies by code');
    t.equal(unexpectedStatuses(a, { mode: 'proxy', expectStatus: twoXx }), 0);
    t.equal(unexpectedStatuses(parseWrk(WRK_TEXT)!, { mode: 'server', expectStatus: twoXx }), 12, 'wrk: its non-2xx count');
  },
);

t.test('the suite entry and --load-cmd: placeholders, defaults, alone or beside a named suite', async (t) => {
  const c = parseExternalEntry(
    'x',
    { generator: 'external', command: "wrk -d{duration}s -H 'X-A: b' {url}" },
    { durationMs: 1500, connections: 4 },
  );
  t.same(c.argv, ['wrk', '-d{duration}s', '-H', 'X-A: b', '{url}']);
  t.equal(c.until, 'duration');
  t.same(substitute(c.argv, { duration: '2', url: 'http://127.0.0.1:9/' }), ['wrk', '-d2s', '-H', 'X-A: b', 'http://127.0.0.1:9/']);
  t.throws(() => parseExternalEntry('x', { generator: 'external' }, { durationMs: 1, connections: 1 }), /command must be/);
  t.throws(
    () => parseExternalEntry('x', { generator: 'external', command: 'a', unti: 'exit' }, { durationMs: 1, connections: 1 }),
    /unknown key "unti"/,
  );
  const suite = { name: 'ci', load: [{ generator: 'flood' }] };
  t.same(withLoadCommands(suite, ['wrk {url}'], undefined, false), {
    name: 'load-cmd',
    load: [{ generator: 'external', name: 'load-cmd', command: 'wrk {url}' }],
  });
  t.same(
    withLoadCommands(suite, ['a', 'b'], 'exit', true).load.map((e) => (e as { name?: string }).name ?? e.generator),
    ['flood', 'load-cmd-1', 'load-cmd-2'],
  );
  t.equal(withLoadCommands(suite, [], undefined, false), suite);
});

const autocannon = join(packageRoot, 'node_modules/.bin/autocannon');
const fixture = (name: string): string => join(packageRoot, 'test/harness/fixtures', name);

t.test("autocannon's CLI through --load-cmd judges the reference proxy: clean passes, no-parent-close fails", async (t) => {
  const dir = tempReportDir(t);
  const load = `${autocannon} --json -n -c 10 -d {duration} {url}`;
  const clean = await runCli([
    'stress',
    '--quiet',
    '--report-dir',
    dir,
    '--strategy',
    'per-connection',
    '--duration',
    '2s',
    '--load-cmd',
    load,
  ]);
  t.equal(clean.code, 0, clean.stdout + clean.stderr.slice(-500));
  const cr = clean.report!;
  t.equal(cr.suite, 'load-cmd', 'the tool alone drives the load');
  t.same(Object.keys(cr.load), ['load-cmd']);
  t.match(cr.load['load-cmd']!.extra, { exitCode: 0, parsed: 1 });
  t.ok(existsSync(join(dir, cr.runId, 'load-load-cmd.stdout.log')), "the tool's output is kept in the run directory");
  const printed = JSON.parse(
    readFileSync(join(dir, cr.runId, 'load-load-cmd.stdout.log'), 'utf8')
      .trim()
      .split('\n')
      .pop()!,
  ) as { requests: { total: number } };
  t.ok(printed.requests.total > 0, 'autocannon answered requests');
  t.equal(cr.load['load-cmd']!.requests, printed.requests.total, `autocannon's count is the load section's (${printed.requests.total})`);
  t.same(markedPids(cr.runId), []);

  const leaky = await runCli([
    'stress',
    '--quiet',
    '--report-dir',
    dir,
    '--strategy',
    'per-connection',
    '--fault',
    'no-parent-close',
    '--duration',
    '2s',
    '--load-cmd',
    load,
  ]);
  t.equal(leaky.code, 1, leaky.stdout);
  const lr = leaky.report!;
  t.ok(failedIds(lr).includes('fds-drained'), `fds-drained fails (failed: ${failedIds(lr).join(', ')})`);
  t.ok(
    check(lr, 'fds-drained').evidence.some((e) => e.kind === 'fd' && /^socket:/.test(e.target)),
    'the kept socket descriptors are named',
  );
  t.same(markedPids(lr.runId), []);
  t.comment(`clean: ${clean.stdout.split('\n')[0]} / leaky: ${leaky.stdout.split('\n')[0]}`);
});

t.test(
  'server mode: the numbers come from autocannon, a tool that never stops is stopped with its group, --load-until exit waits',
  async (t) => {
    const dir = tempReportDir(t);
    const server = ['python3', fixture('echo-server.py'), '{port}'];
    const measured = await runCli([
      'stress',
      '--quiet',
      '--report-dir',
      dir,
      '--mode',
      'server',
      '--duration',
      '1s',
      '--load-cmd',
      `${autocannon} --json -n -c 2 -d {duration} {url}`,
      '--',
      ...server,
    ]);
    t.equal(measured.code, 0, measured.stdout.split('\n')[0]);
    const m = measured.report!.load['load-cmd']!;
    t.ok(m.requests > 10 && m.latencyMs.max > 0, `requests ${m.requests}, max latency ${m.latencyMs.max} ms`);
    t.match(measured.stdout, /load: load-cmd \d+ responses/);

    // a "tool" that would run 300 s, with a child of its own: both gone at the end of the load phase
    const stuck = await runCli([
      'stress',
      '--quiet',
      '--report-dir',
      dir,
      '--mode',
      'server',
      '--duration',
      '500ms',
      '--load-cmd',
      "sh -c 'sleep 3016 & sleep 3017; wait'",
      '--',
      ...server,
    ]);
    t.equal(stuck.code, 0, `unparsed output judges nothing against the budget: ${stuck.stdout.split('\n')[0]}`);
    t.match(stuck.report!.load['load-cmd']!.extra, { stopped: 1, parsed: 0 });
    const left = spawnSync('pgrep', ['-f', '^sleep 301[67]$']).stdout.toString().trim();
    t.equal(left, '', "the tool's whole group was stopped");

    const waited = await runCli([
      'stress',
      '--quiet',
      '--report-dir',
      dir,
      '--mode',
      'server',
      '--duration',
      '300ms',
      '--load-until',
      'exit',
      '--load-cmd',
      'sh -c "sleep 1; exit 7"',
      '--',
      ...server,
    ]);
    t.equal(waited.code, 0, waited.stdout.split('\n')[0]);
    const w = waited.report!.load['load-cmd']!;
    t.match(w.extra, { stopped: 0, exitCode: 7 }, 'waited for, its exit code recorded');
    t.ok(w.durationMs >= 900, `it ran to its end (${w.durationMs} ms)`);
    // a tool whose leader exits first, leaving a child in its group: adopted by the harness, yet not the target's
    // orphan; and ended with its group
    const parted = await runCli([
      'stress',
      '--quiet',
      '--report-dir',
      dir,
      '--mode',
      'server',
      '--duration',
      '300ms',
      '--load-until',
      'exit',
      '--load-cmd',
      "sh -c 'sleep 3022 & exit 0'",
      '--',
      ...server,
    ]);
    t.equal(
      parted.code,
      0,
      parted.stdout
        .split('\n')
        .filter((l) => /stress:|FAIL|↳/.test(l))
        .join(' | '),
    );
    t.equal(spawnSync('pgrep', ['-f', '^sleep 3022$']).stdout.toString().trim(), '', "the tool's leftover was ended");
    const usage = await runCli(['stress', '--quiet', '--report-dir', dir, '--load-until', 'exit']);
    t.equal(usage.code, 2, '--load-until without --load-cmd');
  },
);

const hasWrk = spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;

t.test('wrk through --load-cmd against a command target', { skip: !hasWrk && 'wrk is not installed' }, async (t) => {
  const dir = tempReportDir(t);
  const r = await runCli([
    'stress',
    '--quiet',
    '--report-dir',
    dir,
    '--mode',
    'server',
    '--duration',
    '1s',
    '--load-cmd',
    'wrk -t1 -c2 -d{duration}s --latency {url}',
    '--',
    'python3',
    fixture('echo-server.py'),
    '{port}',
  ]);
  t.equal(r.code, 0, r.stdout);
  t.ok(r.report!.load['load-cmd']!.requests > 0, 'parsed from wrk');
  t.match(r.report!.load['load-cmd']!.extra, { parsed: 1 });
});

t.test('the API and the config file take loadCmd and loadUntil', async (t) => {
  const { stress } = await import('../../src/api/stress.js');
  const { parseConfig } = await import('../../src/config/parse.js');
  const dir = tempReportDir(t);
  const r = await stress({
    command: ['python3', fixture('echo-server.py'), '{port}'],
    mode: 'server',
    duration: '1s',
    loadCmd: `${autocannon} --json -n -c 2 -d {duration} {url}`,
    config: false,
    reportDir: dir,
  });
  t.equal(r.verdict, 'pass', r.failures.map((c) => `${c.id}: ${c.summary}`).join(' | '));
  t.same(Object.keys(r.report.load), ['load-cmd']);
  t.ok(r.report.load['load-cmd']!.requests > 0);
  const c = parseConfig({ run: { loadCmd: 'wrk {url}', loadUntil: 'exit' } }, 'cfg', '/');
  t.match(c.runFlags, { loadCmd: ['wrk {url}'], loadUntil: 'exit' });
  t.throws(() => parseConfig({ run: { loadUntil: 'later' } }, 'cfg', '/'), /loadUntil/);
});
