// Locust's distributed mode as the load (issue 21): a master and two workers on loopback, each a --load-cmd, drive
// a forking server; the master's final tables (on stderr) fill the load section and its evidence floor; a clean
// server passes, the same server keeping its copy of each socket fails. Skipped with the reason without Locust
// (Debian: python3-locust; .ci/run installs it). And the parser on Locust's own text.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseLocust, parseLoadOutput } from '../../src/harness/load/parse-load-output.js';
import { packageRoot } from '../../src/paths.js';
import { failedIds, markedPids, runCli, tempReportDir } from '../harness/helpers.js';

const LOCUST_STDERR = `[2026-12-02 16:03:34,372] vm/INFO/locust.main: Shutting down (exit code 1)
Type     Name                                                                          # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s
--------|----------------------------------------------------------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
GET      /locust                                                                         2149   30(1.40%) |     12       1    1044      7 |  715.99      715.99
--------|----------------------------------------------------------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
         Aggregated                                                                      2149   30(1.40%) |     12       1    1044      7 |  715.99      715.99

Response time percentiles (approximated)
Type     Name                                                                                  50%    66%    75%    80%    90%    95%    98%    99%  99.9% 99.99%   100% # reqs
--------|--------------------------------------------------------------------------------|--------|------|------|------|------|------|------|------|------|------|------|------
GET      /locust                                                                                 7      8     10     11     17     27     42     59   1000   1000   1000   2149
--------|--------------------------------------------------------------------------------|--------|------|------|------|------|------|------|------|------|------|------|------
         Aggregated                                                                              7      8     10     11     17     27     42     59   1000   1000   1000   2149

Error report
# occurrences      Error
------------------|---------------------------------------------------------------------------------------------------------------------------------------------
20                 GET /locust: "HTTPError('404 Client Error: File not found for url: http://127.0.0.1:18777/locust')"
10                 GET /locust: "ConnectionError(ProtocolError('Connection aborted.', RemoteDisconnected('Remote end closed connection without response')))"
------------------|---------------------------------------------------------------------------------------------------------------------------------------------
`;

t.test("Locust's tables: requests, failures split into statuses and transport errors, percentiles", async (t) => {
  const p = parseLocust(LOCUST_STDERR);
  t.same(p, {
    format: 'locust',
    requests: 2139,
    errors: 10,
    timeouts: 0,
    statuses: { 404: 20, '2xx': 2119 },
    non2xx: 20,
    latencyMs: { p50: 7, p90: 17, p99: 59, max: 1044, mean: 12 },
  });
  t.equal(parseLoadOutput(LOCUST_STDERR)?.format, 'locust', 'found among the known formats');
  t.equal(parseLocust('Starting Locust 2.12.1\nno tables here'), null);
});

const locust = spawnSync('locust', ['--version'], { encoding: 'utf8' });
const missing = locust.error ? `locust is not installed (Debian: python3-locust): ${locust.error.message}` : false;

t.test('a Locust master and two workers drive a forking server: clean passes, a kept socket fails', { skip: missing }, async (t) => {
  const dir = tempReportDir(t);
  const locustfile = join(dir, 'locustfile.py');
  writeFileSync(
    locustfile,
    [
      'import locust.runners',
      'from locust import HttpUser, task, constant',
      '',
      "# Debian's python3-locust 2.12.1 reports an empty version, which its master takes for a pre-2.0 worker",
      'if not locust.runners.__version__:',
      "    locust.runners.__version__ = '2.12.1'",
      '',
      'class Visitor(HttpUser):',
      '    wait_time = constant(0)',
      '',
      '    @task',
      '    def index(self):',
      "        self.client.get('/locust')",
      '',
    ].join('\n'),
  );
  const server = ['python3', join(packageRoot, 'test/harness/fixtures/forking-server.py'), '{port}'];
  const load = [
    '--load-cmd',
    `locust -f ${locustfile} --master --headless --expect-workers 2 -u 10 -r 10 -t {duration}s --host {url} --only-summary`,
    '--load-cmd',
    `locust -f ${locustfile} --worker --master-host 127.0.0.1`,
    '--load-cmd',
    `locust -f ${locustfile} --worker --master-host 127.0.0.1`,
  ];
  const run = (extra: string[]) =>
    runCli(['stress', '--quiet', '--mode', 'server', '--duration', '3s', '--report-dir', dir, ...load, '--', ...server, ...extra], {
      timeoutMs: 120_000,
    });

  const clean = await run([]);
  t.equal(clean.code, 0, `clean: ${clean.stdout.split('\n')[0]} ${clean.stderr.slice(-300)}`);
  const master = clean.report?.load['load-cmd-1'];
  t.ok(master && master.requests > 20, `the master's tables were read: ${master?.requests} responses, p99 ${master?.latencyMs.p99} ms`);
  t.match(
    clean.report?.evidenceFloor?.generators.find((g) => g.generator === 'load-cmd-1'),
    { floor: 1 },
    'and they count as evidence',
  );
  t.same(markedPids(clean.report!.runId), [], 'nothing left');

  const leaky = await run(['--no-parent-close']);
  t.equal(leaky.code, 1, leaky.stdout.split('\n')[0]);
  t.ok(failedIds(leaky.report!).includes('fds-drained'), `the kept sockets are found: ${failedIds(leaky.report!).join(', ')}`);
  t.equal(
    spawnSync('pgrep', ['-f', `locust -f ${locustfile}`])
      .stdout.toString()
      .trim(),
    '',
    'no Locust process is left',
  );
});
