// Nothing left behind, ever (issue 18): for each phase of a run × each way the harness can be stopped — SIGINT to
// its process group (Ctrl-C), SIGTERM to the `handoff` process (a cancelled CI job), SIGKILL of the harness proper
// (the OOM killer; its supervisor must clean up) — against a target with every kind of escaper (a setsid
// double-forked daemon with the run marker, one with an empty environment, a child in its own process group):
// nothing carrying the run marker and none of the escapers survives, and the run directory says what happened
// (an interrupted report: verdict, signal, phase; `latest` not moved; never an exit-3 record).
// Before the fix every interrupted run left all three escapers running and wrote a FAIL report or none.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Report } from '../../src/model/report.js';
import { cliPath, packageRoot } from '../../src/paths.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { untappedNode } from '../helpers/untapped.js';
import { escaperPids, markedPids, tempReportDir } from './helpers.js';

const PHASES = ['start', 'baseline', 'load', 'drain', 'shutdown', 'verdict'] as const;
type PhaseName = (typeof PHASES)[number];
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
type How = (typeof SIGNALS)[number];

const SERVER = join(packageRoot, 'test/harness/fixtures/escaper-server.py');

const escapers = escaperPids;

/** The harness proper: the supervisor's node child. */
function harnessOf(supervisor: number): number | null {
  try {
    const kids = readFileSync(`/proc/${supervisor}/task/${supervisor}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids.find((k) => readFileSync(`/proc/${k}/cmdline`, 'latin1').includes(cliPath())) ?? null;
  } catch {
    return null;
  }
}

interface Outcome {
  code: number | null;
  stderr: string;
  runDir: string | null;
  report: Report | null;
  reportDir: string;
}

/** One run of `handoff stress` against the escaper target, stopped `how` when the phase `phase` begins. */
function interruptedRun(t: { teardown(fn: () => void): void }, phase: PhaseName, how: How, tag: string): Promise<Outcome> {
  const reportDir = tempReportDir(t);
  const suite = join(reportDir, 'suite.json');
  // short phases, each long enough to be hit: the drain runs to its deadline (fds leak), the shutdown to its own (SIGTERM ignored)
  writeFileSync(
    suite,
    JSON.stringify({
      description: 'interrupt',
      duration: '400ms',
      connections: 2,
      drain: '1s',
      shutdown: '1200ms',
      warmup: '300ms',
      drainExtension: '0ms',
      load: [{ generator: 'flood' }],
    }),
  );
  const opts = ['leak-fds', 'ignore-term', ...(phase === 'start' ? ['slow-start=1.5'] : [])];
  const args = [
    cliPath(),
    'stress',
    '--mode',
    'server',
    '--echo',
    '--suite',
    suite,
    '--load-cap',
    '0',
    '--report-dir',
    reportDir,
    '--',
    'python3',
    SERVER,
    '{port}',
    tag,
    ...opts,
  ];
  return new Promise((resolve) => {
    const [cmd, argv] = untappedNode(args);
    // its own process group, as a shell job has: a Ctrl-C goes to the group
    const cli: ChildProcess = spawn(cmd, argv, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    const stopNow = (): void => {
      if (sent) return;
      sent = true;
      const pid = cli.pid!;
      if (how === 'SIGINT') process.kill(-pid, 'SIGINT');
      else if (how === 'SIGTERM') process.kill(pid, 'SIGTERM');
      else {
        const harness = harnessOf(pid);
        if (harness) process.kill(harness, 'SIGKILL');
      }
    };
    cli.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!sent && stderr.includes(`handoff: ${phase} …`)) {
        // in the middle of the short phases; at once for the brief ones
        const delay = { start: 300, baseline: 0, load: 150, drain: 300, shutdown: 300, verdict: 0 }[phase];
        setTimeout(stopNow, delay);
      }
    });
    const killer = setTimeout(() => cli.pid && process.kill(-cli.pid, 'SIGKILL'), 40_000);
    cli.on('close', (code) => {
      clearTimeout(killer);
      const dirs = readdirSync(reportDir).filter((d) => /^\d{8}-/.test(d));
      const runDir = dirs.length === 1 ? join(reportDir, dirs[0]) : null;
      let report: Report | null = null;
      try {
        report = runDir ? (JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Report) : null;
      } catch {
        report = null;
      }
      resolve({ code, stderr, runDir, report, reportDir });
    });
  });
}

const cases = PHASES.flatMap((phase) => SIGNALS.map((how) => ({ phase, how })));

// three at a time keeps the whole matrix well under a minute on two cores
const BATCH = 3;
for (let i = 0; i < cases.length; i += BATCH) {
  const batch = cases.slice(i, i + BATCH);
  t.test(batch.map((c) => `${c.how} in ${c.phase}`).join(', '), async (t) => {
    const runs = batch.map((c, j) => {
      const tag = `${process.pid % 1000}${String(i + j).padStart(2, '0')}`;
      t.teardown(() => {
        for (const pid of escapers(tag)) process.kill(pid, 'SIGKILL');
      });
      return interruptedRun(t, c.phase, c.how, tag).then((o) => ({ ...c, tag, o }));
    });
    for (const { phase, how, tag, o } of await Promise.all(runs)) {
      const name = `${how} in ${phase}`;
      t.ok(o.runDir, `${name}: one run directory`);
      const runId = o.runDir ? o.runDir.split('/').at(-1)! : '';
      t.ok(
        await pollUntil(() => escapers(tag).length === 0, 3_000),
        `${name}: no escaper survives (left: ${escapers(tag).join(', ') || 'none'})`,
      );
      t.same(runId ? markedPids(runId) : [], [], `${name}: nothing carries the run marker`);
      t.notOk(o.runDir && existsSync(join(o.runDir, 'start-error.json')), `${name}: not recorded as a failed start`);
      const r = o.report;
      if (!r) {
        t.fail(`${name}: a report.json (stderr: ${o.stderr.slice(-400)})`);
        continue;
      }
      // the verdict phase lasts a few ms: a signal meant for it may find the run already judged
      if (phase === 'verdict' && r.verdict !== 'interrupted') {
        t.equal(o.code, r.exitCode, `${name}: the run was judged before the signal (${r.verdict}); its exit code`);
        continue;
      }
      t.equal(r.verdict, 'interrupted', `${name}: verdict interrupted`);
      t.equal(o.code, 130, `${name}: exit 130`);
      t.equal(r.exitCode, 130, `${name}: exitCode 130 in the report`);
      t.equal(r.interruption?.signal, how, `${name}: the signal is recorded`);
      t.equal(
        r.interruption?.recordedBy,
        how === 'SIGKILL' ? 'supervisor' : 'harness',
        `${name}: recorded by the ${how === 'SIGKILL' ? 'supervisor' : 'harness'}`,
      );
      // a loaded machine may let the run move on before the signal lands: never an earlier phase
      t.ok(
        r.interruption && PHASES.indexOf(r.interruption.phase as PhaseName) >= PHASES.indexOf(phase),
        `${name}: phase recorded ${r.interruption?.phase}`,
      );
      t.same(r.checks, [], `${name}: no check claims anything`);
      const latest = join(o.reportDir, 'latest');
      t.ok(!existsSync(latest) || realpathSync(latest) !== realpathSync(o.runDir!), `${name}: latest not moved to it`);
    }
  });
}
