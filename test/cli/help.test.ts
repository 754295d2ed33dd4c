// `handoff stress --help` as a new user reads it: examples, every built-in suite by name, every exit code of the
// contract (70 included) and the environment variables; `handoff --help` names the exit codes too.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { suiteNames } from '../../src/harness/suite.js';
import { EXIT } from '../../src/model/report.js';

const help = (...args: string[]) => spawnSync(process.execPath, [cliPath(), ...args, '--help'], { encoding: 'utf8', timeout: 20_000 });

t.test('stress --help', async (t) => {
  const r = help('stress');
  t.equal(r.status, 0);
  t.match(r.stdout, /\nExamples:\n {2}handoff stress /);
  const suites = /Suites \(stress\/\): ([^;]+);/.exec(r.stdout)?.[1].split(', ');
  t.same(suites, suiteNames(), 'every built-in suite, by name');
  t.ok(suiteNames().includes('ci'));
  for (const code of Object.values(EXIT)) t.match(r.stdout, new RegExp(`(^|[ ·])${code} `, 'm'), `exit ${code}`);
  for (const name of [
    'HANDOFF_CONFIG',
    'HANDOFF_PROXY_AUTH',
    'HANDOFF_FAULT_SEED',
    'HANDOFF_WHY',
    'HANDOFF_WATCHDOG_MS',
    'HANDOFF_NO_SUPERVISOR',
    'HANDOFF_RUN_ID',
    'GITHUB_ACTIONS',
  ]) {
    t.match(r.stdout, new RegExp(`\\n {2}${name}\\b`), name);
  }
});

t.test('handoff --help names the exit codes', async (t) => {
  const r = spawnSync(process.execPath, [cliPath(), '--help'], { encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 0);
  t.match(r.stdout, /70 internal error of handoff/);
  t.match(r.stdout, /130 interrupted/);
});
