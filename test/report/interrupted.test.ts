// An interrupted run (issue 18) is shown as interrupted in every format — its own verdict, what stopped it and
// in which phase, no check claiming anything — never with a leak's wording ("checks failed", "never quiet",
// "did not settle") nor as a failed start; and report.json with its `interruption` passes the validator.
import t from 'tap';
import type { Report } from '../../src/model/report.js';
import { formatSummary } from '../../src/cli/summary.js';
import { interruptedReport, plannedTargetInfo } from '../../src/harness/interrupted-report.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { reportProblems } from '../../src/report/validate.js';

function interrupted(recordedBy: 'harness' | 'supervisor', signal: string): Report {
  const r = interruptedReport({
    opts: { strategy: null, fault: null },
    runId: 'r1',
    startedAt: new Date(0),
    suite: 'ci',
    target: plannedTargetInfo({ kind: 'command', command: ['python3', 'srv.py', '{port}'] }, 'server'),
    phases: [
      { name: 'start', start: 0, end: 100 },
      { name: 'load', start: 100, end: 400 },
    ],
    stop: { signal, phase: 'load' },
    killed: 3,
    logs: {
      stdout: { bytes: 10, kept: 10, truncated: false, error: null },
      stderr: { bytes: 5, kept: 0, truncated: false, error: 'ENOSPC: no space left on device' },
    },
  });
  return { ...r, interruption: { ...r.interruption!, recordedBy } };
}

const LEAK_WORDS = /checks? failed|never|did not settle|leak|FAIL\b|did not start/;

t.test('every format says interrupted, and what stopped the run where', async (t) => {
  const r = interrupted('harness', 'SIGINT');
  t.same(reportProblems(r), [], 'a valid report.json');
  t.same(
    reportProblems(JSON.parse(JSON.stringify({ ...r, interruption: { ...r.interruption, phase: 'nap' } }))).length,
    1,
    'a bad phase is refused',
  );
  const md = renderMarkdown(r);
  t.match(md, /INTERRUPTED/);
  t.match(md, /interrupted during the load phase: the harness received SIGINT/);
  t.match(md, /and 3 processes of the target outside its group/);
  t.match(md, /target\.stderr\.log stopped: ENOSPC/, 'a log that stopped is said');
  t.notMatch(md, /### Checks/, 'no empty checks table');
  t.notMatch(md, LEAK_WORDS, 'no leak wording in report.md');
  const html = renderHtml(r, { css: '', js: '' });
  t.match(html, /INTERRUPTED/);
  t.match(html, /interrupted during the load phase/);
  t.notMatch(html.replace(/<script[\s\S]*?<\/script>/g, ''), LEAK_WORDS, 'no leak wording in report.html');
  const junit = renderJunit(r);
  t.match(junit, /<error message="interrupted during the load phase[^"]*" type="interrupted">/, 'junit: one error, not a failure');
  t.match(junit, /failures="0"/);
  const summary = formatSummary(r, '/tmp/r1/report.json', '/');
  t.match(summary, /^handoff stress: INTERRUPTED/);
  t.match(summary, /the harness received SIGINT/);
  t.notMatch(summary, LEAK_WORDS, 'no leak wording in the summary');
});

t.test('recorded by the supervisor, or after losing it', async (t) => {
  t.match(renderMarkdown(interrupted('supervisor', 'SIGKILL')), /the harness itself was killed \(SIGKILL\); its supervisor cleaned up/);
  t.match(formatSummary(interrupted('harness', 'supervisor-lost'), '/x/report.json', '/'), /the harness lost its supervisor/);
});
