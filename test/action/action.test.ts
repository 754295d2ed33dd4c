// The GitHub Action's run step (action/run.sh) executed as the runner would: GITHUB_ACTIONS=true, a fake
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, inputs as INPUT_* variables, against the reference proxy on a short
// suite. Checks the step's outputs (verdict, exit code, report path, run dir), the step summary and the
// annotations; and that action.yml runs that script with the inputs it declares.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cliPath, packageRoot } from '../../src/paths.js';
import type { Report } from '../../src/model/report.js';
import { markedPids, tempReportDir } from '../harness/helpers.js';
import { schemaProblems } from '../schema/validator.js';

const script = join(packageRoot, 'action', 'run.sh');
const smoke = join(packageRoot, 'examples', 'suites', 'smoke.json');

interface Step {
  code: number | null;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

function runStep(dir: string, inputs: Record<string, string>): Promise<Step> {
  const output = join(dir, 'github-output');
  const summary = join(dir, 'step-summary.md');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  return new Promise((resolve) => {
    const child = spawn('bash', [script], {
      cwd: dir,
      // tap's loader stays out of the harness (helpers/untapped.ts)
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        HANDOFF_BIN: `${process.execPath} ${cliPath()}`,
        ...inputs,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const outputs = Object.fromEntries(
        readFileSync(output, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      resolve({ code, stderr, outputs, summary: readFileSync(summary, 'utf8') });
    });
  });
}

t.test('action.yml runs action/run.sh with every input it declares', async (t) => {
  const action = parse(readFileSync(join(packageRoot, 'action.yml'), 'utf8'));
  t.equal(action.runs.using, 'composite');
  const steps = action.runs.steps as {
    id?: string;
    uses?: string;
    run?: string;
    env?: Record<string, string>;
    with?: Record<string, string>;
  }[];
  t.ok(
    steps.some((s) => s.uses?.startsWith('actions/setup-node@')),
    'sets up node',
  );
  t.ok(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
    steps.some((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.path === '${{ steps.run.outputs.run-dir }}'),
    'uploads the run directory',
  );
  const run = steps.find((s) => s.id === 'run')!;
  t.match(run.run, /\$GITHUB_ACTION_PATH\/action\/run\.sh/);
  const script = readFileSync(join(packageRoot, 'action', 'run.sh'), 'utf8');
  for (const [name, value] of Object.entries(run.env!)) {
    t.match(value, /^\$\{\{ inputs\.[a-z-]+ \}\}$/, `${name} is an input`);
    t.ok(script.includes(name), `run.sh reads ${name}`);
  }
  for (const out of Object.keys(action.outputs)) t.ok(script.includes(`echo "${out}=`), `run.sh writes the output ${out}`);
  t.ok(JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).files.includes('action/'), 'the script ships with the package');
});

t.test('a passing run: outputs, the report in the step summary, no annotation', async (t) => {
  const dir = tempReportDir(t);
  const r = await runStep(dir, { INPUT_SUITE: smoke, INPUT_ARGS: '--strategy inline --quiet', INPUT_REPORT_DIR: 'out' });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.outputs.verdict, 'pass');
  t.equal(r.outputs['exit-code'], '0');
  t.ok(r.outputs['run-dir'].startsWith(join(dir, 'out')), r.outputs['run-dir']);
  t.equal(r.outputs.report, join(r.outputs['run-dir'], 'report.json'));
  const report = JSON.parse(readFileSync(r.outputs.report, 'utf8')) as Report;
  t.same(schemaProblems('report', report), []);
  t.match(r.summary, /PASS/);
  t.match(r.summary, new RegExp(report.runId));
  t.notMatch(r.stderr, /^::(error|warning)/m);
  t.same(markedPids(report.runId), []);
});

t.test('a leaking run: the step fails, verdict fail, one ::error per failing check', async (t) => {
  const dir = tempReportDir(t);
  const r = await runStep(dir, {
    INPUT_SUITE: smoke,
    INPUT_ARGS: '--strategy per-connection --fault no-parent-close --drain 1s --quiet',
    INPUT_REPORT_DIR: 'out',
  });
  t.equal(r.code, 1, r.stderr);
  t.equal(r.outputs.verdict, 'fail');
  t.equal(r.outputs['exit-code'], '1');
  const report = JSON.parse(readFileSync(r.outputs.report, 'utf8')) as Report;
  const failed = report.checks.filter((c) => !c.pass).map((c) => c.id);
  t.not(failed.length, 0);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('::error '));
  t.same(
    errors.map((l) => /^::error title=handoff (\S+) /.exec(l)?.[1]),
    failed,
    'one annotation per failing check, in order',
  );
  t.match(r.summary, /FAIL/);
  t.ok(existsSync(join(r.outputs['run-dir'], 'target.stderr.log')), 'the run directory to upload');
  t.same(markedPids(report.runId), []);
});

t.test('a usage error: exit 2, verdict usage-error, no report, the message in the step summary', async (t) => {
  const dir = tempReportDir(t);
  const r = await runStep(dir, { INPUT_ARGS: '--strategy inline --duration soon', INPUT_REPORT_DIR: 'out' });
  t.equal(r.code, 2);
  t.equal(r.outputs.verdict, 'usage-error');
  t.equal(r.outputs['exit-code'], '2');
  t.equal(r.outputs.report, '');
  t.match(r.summary, /no report \(exit 2, usage-error\)[\s\S]*handoff: .*duration/);
});

t.test('a target that never starts: exit 3, verdict not-started, the run directory of its record', async (t) => {
  const dir = tempReportDir(t);
  const r = await runStep(dir, { INPUT_COMMAND: 'false {port}', INPUT_ARGS: '--mode server --quiet', INPUT_REPORT_DIR: 'out' });
  t.equal(r.code, 3, r.stderr);
  t.equal(r.outputs.verdict, 'not-started');
  t.ok(r.outputs['run-dir'].startsWith(join(dir, 'out')) && existsSync(r.outputs['run-dir']), r.outputs['run-dir']);
  t.match(r.summary, /did not start/);
});
