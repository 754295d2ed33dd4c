// Opens comparison.html (rendered from the fixture comparison) in real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core): the timelines render as canvases with pixels drawn, the
// bar charts have their bars, no console errors, no network requests, and a hostile label stays text.
// Saves a screenshot to reports/test-artifacts/comparison.png. Skipped, with the reason, where Chromium is absent.
import t from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderCompareHtml } from '../../src/compare/html.js';
import { packageRoot } from '../../src/paths.js';
import { sampleComparison } from './fixtures.js';

const CHROMIUM = process.env.HANDOFF_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const artifacts = join(packageRoot, 'reports', 'test-artifacts');
const reason = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found (install Debian's chromium package to run the browser check)`;

t.test('comparison.html in headless Chromium', { skip: reason, timeout: 240_000 }, async (t) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 120_000 });
  t.teardown(() => browser.close());
  mkdirSync(artifacts, { recursive: true });
  const file = join(artifacts, 'comparison.html');
  const comparison = sampleComparison();
  writeFileSync(file, renderCompareHtml(comparison));

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('request', (r) => {
    if (!/^(file|data|about):/.test(r.url())) requests.push(r.url());
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForSelector('body[data-charts]', { timeout: 60_000 });

  const expected = comparison.timelines.length ? 4 : 0;
  t.ok(Number(await page.getAttribute('body', 'data-charts')) >= expected, `at least ${expected} timeline charts built`);
  const canvases = await page.$$eval('#charts .chart', (charts) =>
    charts.map((chart) => {
      const canvas = chart.querySelector('canvas') as HTMLCanvasElement | null;
      if (!canvas) return { id: chart.id, width: 0, height: 0, drawn: 0, legend: 0 };
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let drawn = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
      return {
        id: chart.id,
        width: canvas.width,
        height: canvas.height,
        drawn,
        legend: chart.querySelectorAll('.u-legend .u-series').length,
      };
    }),
  );
  // PSS gets a chart because some runs recorded it (the pass fixture does, the fail fixture predates it)
  t.same(canvases.map((c) => c.id).slice(0, 5), ['chart-children', 'chart-fds', 'chart-rss', 'chart-pss', 'chart-rate']);
  for (const c of canvases) {
    t.ok(c.width > 250 && c.height > 100, `${c.id} canvas has a size (${c.width}×${c.height})`);
    t.ok(c.drawn > c.width * c.height * 0.02, `${c.id} has pixels drawn (${c.drawn})`);
    t.equal(c.legend, 1 + comparison.targets.length, `${c.id}: one legend entry per target (plus the x axis)`);
  }
  const twoColumns = await page.$$eval(
    '#charts .chart',
    (els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().top))).size < els.length,
  );
  t.ok(twoColumns, 'charts laid out side by side');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  t.ok(overflow <= 0, `the page fits the viewport width (overflow ${overflow} px)`);

  const bars = await page.$$eval('.bars figure', (figs) =>
    figs.map((f) => ({ metric: f.getAttribute('data-metric'), n: f.querySelectorAll('.bar').length })),
  );
  t.equal(bars.length, 10, 'ten bar charts');
  const withPss = comparison.targets.filter((x) => x.peakPssBytes.median !== null).length;
  t.ok(withPss > 0 && withPss < comparison.targets.length, `some targets have PSS, some not (${withPss})`);
  t.ok(
    bars.every((b) => b.n === (b.metric === 'peakPssBytes' ? withPss : comparison.targets.length)),
    'one bar per target in each (PSS: only where recorded, an empty track elsewhere)',
  );
  const barWidths = await page.$$eval('.bars figure[data-metric="requestsPerSec"] .bar', (els) =>
    els.map((e) => e.getBoundingClientRect().width),
  );
  t.ok(
    barWidths.every((w) => w > 0),
    `req/s bars visible (${barWidths.map((w) => Math.round(w)).join(', ')} px)`,
  );

  t.match(await page.textContent('header.verdict h1'), /FAIL · exit code 1/);
  t.match(await page.textContent('#summary'), /<\/script><script>alert\('x'\)<\/script>/, 'hostile label shown as text');
  t.equal(await page.$$eval('#summary script, #summary img', (els) => els.length), 0, 'and not as markup');

  const shot = join(artifacts, 'comparison.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.ok(existsSync(shot), `screenshot saved to ${shot}`);
  t.same(pageErrors, [], 'no uncaught exceptions');
  t.same(consoleErrors, [], 'no console errors or warnings (a CSP violation would be one)');
  t.same(requests, [], 'no network requests');
  t.same(dialogs, [], 'no script from the page ran');
});
