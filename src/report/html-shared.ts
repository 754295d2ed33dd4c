// What report.html and comparison.html share: uPlot inlined from the installed package, each page's browser
// code bundled at build time, the CSP that forbids every network request, escaping of inlined code, the common
// stylesheet, and the page shell (verdict header, chart data as script-safe JSON, uPlot, then the page's own
// client script).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../paths.js';
import { jsonForScript } from './escape.js';

export interface UplotAssets {
  js: string;
  css: string;
}

let cachedAssets: UplotAssets | null = null;

/** uPlot's minified IIFE build and stylesheet, from the installed package. */
export function uplotAssets(): UplotAssets {
  if (cachedAssets) return cachedAssets;
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('uplot/package.json')), 'dist');
  cachedAssets = {
    js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
  };
  return cachedAssets;
}

/** The pages whose browser code scripts/build-client.mjs bundles (src/report/client/report.ts, src/compare/client/compare.ts). */
export type ClientPage = 'report' | 'compare';

/** Where the build puts a page's bundled browser code (one IIFE, no imports). */
export const clientBundlePath = (page: ClientPage, root: string = packageRoot): string => join(root, 'dist', 'client', `${page}.js`);

const cachedBundles = new Map<string, string>();

/** A page's bundled browser code, read once; missing when the package was not built. */
export function clientBundle(page: ClientPage, root: string = packageRoot): string {
  const file = clientBundlePath(page, root);
  const cached = cachedBundles.get(file);
  if (cached !== undefined) return cached;
  if (!existsSync(file)) {
    throw new Error(
      `handoff: ${file} is missing (the browser code of the ${page} page, bundled at build time); run \`npm run build\` first`,
    );
  }
  const code = readFileSync(file, 'utf8');
  cachedBundles.set(file, code);
  return code;
}

/** Inlined code must not be able to end its own element early. */
export const inlineSafe = (code: string, tag: 'script' | 'style'): string => code.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');

export const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** Rules both pages use alike; each page adds its own (:root colours, widths, its tables and figures). */
export const BASE_STYLE = `
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #fff; }
.verdict { padding: 18px 16px; color: #fff; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
.verdict.inconclusive { background: #9a6700; } .verdict.interrupted { background: #57606a; }
.verdict p { margin: 4px 0 0; font-size: 15px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.status { font-weight: 700; white-space: nowrap; }
footer { color: var(--muted); margin-top: 32px; font-size: 12px; }
`;

export interface ChartPage {
  verdict: 'pass' | 'fail' | 'inconclusive' | 'interrupted';
  exitCode: number;
  /** <title> text, already escaped */
  titleHtml: string;
  /** the line under the verdict, already escaped */
  subtitleHtml: string;
  /** the page's own rules, after BASE_STYLE */
  style: string;
  /** what goes inside <main> */
  mainHtml: string;
  /** id of the JSON data element the client script reads */
  dataId: string;
  data: unknown;
  /** the page's bundled browser code (clientBundle) */
  clientScript: string;
  assets: UplotAssets;
}

const VERDICT_TITLE = { pass: '✔ PASS', fail: '✘ FAIL', inconclusive: '⚠ INCONCLUSIVE', interrupted: '■ INTERRUPTED' } as const;

export function renderChartPage(p: ChartPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.titleHtml}</title>
<style>${inlineSafe(p.assets.css, 'style')}</style>
<style>${BASE_STYLE}${p.style}</style>
</head>
<body data-verdict="${p.verdict}">
<header class="verdict ${p.verdict}">
<h1>${VERDICT_TITLE[p.verdict]} · exit code ${p.exitCode}</h1>
<p>${p.subtitleHtml}</p>
</header>
<main>
${p.mainHtml}
</main>
<script type="application/json" id="${p.dataId}">${jsonForScript(p.data)}</script>
<script>${inlineSafe(p.assets.js, 'script')}</script>
<script>${inlineSafe(p.clientScript, 'script')}</script>
</body>
</html>
`;
}
