#!/usr/bin/env node
// Bundles the browser code of the HTML pages (type-checked by tsconfig.client.json) with esbuild: one IIFE per
// page, no imports left, into dist/client/<page>.js, which the renderers read and inline in a <script>
// (src/report/html-shared.ts). uPlot is not bundled: the page inlines its own IIFE build before this code.
// Run by `npm run build`, prepare and pretest after tsc; `--outdir <dir>` writes elsewhere (the tests compare).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(root, 'dist', 'client');

/** page → its entry module; the renderers name the page (clientBundle('report')). */
export const PAGES = {
  report: 'src/report/client/report.ts',
  compare: 'src/compare/client/compare.ts',
};

try {
  await build({
    absWorkingDir: root,
    entryPoints: Object.entries(PAGES).map(([out, src]) => ({ in: src, out })),
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // as tsconfig.client.json; the inlined uPlot needs ES2021 (??=) already, so nothing is lowered
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    sourcemap: false,
    minify: false,
    logLevel: 'warning',
  });
} catch {
  // esbuild has printed what failed
  process.stderr.write('handoff build-client: bundling the browser code failed\n');
  process.exit(1);
}
