// Opens the rendered report.html in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): charts must render with no console errors and no network requests. Saves a
// screenshot to reports/test-artifacts/report.png. Skipped, with the reason, where Chromium is absent.
import t from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderHtml } from '../../src/report/html.js';
import { packageRoot } from '../../src/paths.js';
import { fixture } from './fixtures.js';
import type { Report } from '../../src/model/report.js';

// HANDOFF_CHROMIUM overrides the browser path (e.g. to check the skip path: HANDOFF_CHROMIUM=/nonexistent)
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

interface PageWatch {
  consoleErrors: string[];
  pageErrors: string[];
  requests: string[];
  dialogs: string[];
}

async function openReport(browser: Browser, report: Report, name: string): Promise<{ page: Page; watch: PageWatch }> {
  mkdirSync(artifacts, { recursive: true });
  const file = join(artifacts, `${name}.html`);
  writeFileSync(file, renderHtml(report));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const watch: PageWatch = { consoleErrors: [], pageErrors: [], requests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') watch.consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.pageErrors.push(String(e)));
  page.on('request', (r) => {
    if (!/^(file|data|about):/.test(r.url())) watch.requests.push(r.url());
  });
  page.on('dialog', (d) => {
    watch.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForSelector('body[data-charts]', { timeout: 60_000 });
  return { page, watch };
}

/**
 * Per chart: canvas size, pixels drawn (non-transparent), pixels close to CLOSE_WAIT red, and those of
 * them in the upper 60 % of the canvas (a line that climbs, not one lying flat at zero).
 */
function inspectCanvases(page: Page) {
  return page.$$eval('.chart', (charts) =>
    charts.map((chart) => {
      const canvas = chart.querySelector('canvas') as HTMLCanvasElement | null;
      if (!canvas) return { id: chart.id, width: 0, height: 0, drawn: 0, red: 0, redHigh: 0 };
      const ctx = canvas.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let drawn = 0;
      let red = 0;
      let redHigh = 0;
      const highRows = canvas.height * 0.6;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0) drawn++;
        // #d62728 = (214, 39, 40), allow antialiasing
        if (data[i + 3] > 200 && Math.abs(data[i] - 214) < 30 && data[i + 1] < 90 && data[i + 2] < 90) {
          red++;
          if (i / 4 / canvas.width < highRows) redHigh++;
        }
      }
      return { id: chart.id, width: canvas.width, height: canvas.height, drawn, red, redHigh };
    }),
  );
}

const reason = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found (install Debian's chromium package to run the browser check)`;

t.test('report.html in headless Chromium', { skip: reason, timeout: 240_000 }, async (t) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 120_000 });
  t.teardown(() => browser.close());

  await t.test('failing run: charts drawn, no errors, no network, hostile cmdline inert', async (t) => {
    const { page, watch } = await openReport(browser, fixture('fail'), 'report');
    t.equal(await page.getAttribute('body', 'data-charts'), '5', 'five charts built');
    const canvases = await inspectCanvases(page);
    t.same(
      canvases.map((c) => c.id),
      ['chart-processes', 'chart-fds', 'chart-sockets', 'chart-rss', 'chart-rate'],
    );
    for (const c of canvases) {
      t.ok(c.width > 300 && c.height > 100, `${c.id} canvas has a size (${c.width}×${c.height})`);
      t.ok(c.drawn > c.width * c.height * 0.05, `${c.id} has pixels drawn (${c.drawn}, phase bands and series)`);
    }
    const sockets = canvases.find((c) => c.id === 'chart-sockets')!;
    t.ok(sockets.redHigh > 200, `CLOSE_WAIT drawn in red, climbing (${sockets.redHigh} red pixels in the upper part)`);
    t.equal(canvases.find((c) => c.id === 'chart-processes')!.red, 0, 'no red where there is no CLOSE_WAIT');

    const header = await page.textContent('header.verdict h1');
    t.match(header, /FAIL · exit code 1/);
    t.ok(await page.isVisible('#check-fds-drained details[open] li'), 'failing evidence expanded');
    t.match(await page.textContent('#check-children-drained'), /<\/script><script>alert\('x'\)<\/script>/, 'hostile cmdline shown as text');
    t.equal(await page.$$eval('#check-children-drained img, #check-children-drained script', (els) => els.length), 0, 'and not as markup');

    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.ok(existsSync(shot), `screenshot saved to ${shot}`);

    t.same(watch.pageErrors, [], 'no uncaught exceptions');
    t.same(watch.consoleErrors, [], 'no console errors or warnings (a CSP violation would be one)');
    t.same(watch.requests, [], 'no network requests');
    t.same(watch.dialogs, [], 'no script from the report ran');
  });

  await t.test('passing run renders too', async (t) => {
    const { page, watch } = await openReport(browser, fixture('pass'), 'report-pass');
    t.equal(await page.getAttribute('body', 'data-charts'), '5');
    const canvases = await inspectCanvases(page);
    t.ok(canvases.every((c) => c.drawn > 0));
    const sockets = canvases.find((c) => c.id === 'chart-sockets')!;
    t.ok(sockets.red > 200, `the CLOSE_WAIT line is drawn (${sockets.red} red pixels)…`);
    t.equal(sockets.redHigh, 0, '…flat at zero: none in the upper part');
    await page.screenshot({ path: join(artifacts, 'report-pass.png'), fullPage: true });
    t.same([...watch.pageErrors, ...watch.consoleErrors, ...watch.requests], []);
  });
});
