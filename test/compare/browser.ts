// Opens a standalone HTML file in headless Chromium and reports what a reader would notice: the charts
// built, console errors, uncaught exceptions and network requests. null where Chromium is absent.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.HANDOFF_CHROMIUM || '/usr/bin/chromium';
export const chromiumMissing = (): string | false =>
  existsSync(CHROMIUM) ? false : `${CHROMIUM} not found (install Debian's chromium package to run the browser check)`;

export async function browse(file: string): Promise<{ charts: number; canvases: number; problems: string[] }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    headless: true,
    timeout: 120_000,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`exception: ${String(e)}`));
    page.on('request', (r) => {
      if (!/^(file|data|about):/.test(r.url())) problems.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForSelector('body[data-charts]', { timeout: 60_000 });
    const charts = Number(await page.getAttribute('body', 'data-charts'));
    const canvases = await page.$$eval('#charts canvas', (els) => els.length);
    return { charts, canvases, problems };
  } finally {
    await browser.close();
  }
}
