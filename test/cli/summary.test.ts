// The summary and report.md say "skipped" for a generator that does not apply to the target (a tunnel, proxy-only
// cases in server mode) instead of "0 responses … p99 0 ms"; so do report.md and report.html.
import t from 'tap';
import { formatSummary } from '../../src/cli/summary.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import type { Report } from '../../src/model/report.js';
import { fixture } from '../report/fixtures.js';

const serverRun = (): Report => {
  const base = fixture('pass');
  const flood = Object.values(base.load)[0];
  return {
    ...base,
    target: { ...base.target, kind: 'command', mode: 'server' },
    load: {
      flood,
      tunnel: {
        generator: 'tunnel',
        kind: 'tunnel',
        durationMs: 0,
        requests: 0,
        errors: 0,
        timeouts: 0,
        statuses: {},
        latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
        extra: { skipped: 1 },
      },
    },
  };
};

t.test('summary: skipped, not zero responses', async (t) => {
  const text = formatSummary(serverRun(), '/tmp/r/report.json');
  t.match(text, /tunnel skipped \(does not apply in server mode\)/);
  t.notMatch(text, /tunnel 0 responses/);
  t.match(text, /flood \d+ responses/, 'the generators that ran as before');
});

t.test('report.md and report.html: a skipped row', async (t) => {
  const md = renderMarkdown(serverRun());
  t.match(md, /\| tunnel \| skipped \(does not apply in server mode\) \|/);
  const html = renderHtml(serverRun());
  t.match(html, /<tr><td>tunnel<\/td><td colspan="10">skipped \(does not apply in server mode\)<\/td><\/tr>/);
});
