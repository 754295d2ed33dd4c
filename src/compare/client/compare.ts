// The script comparison.html runs in the browser (bundled to dist/client/compare.js by
// scripts/build-client.mjs, inlined by src/compare/html.ts): one uPlot chart per quantity, one series per
// target on a shared time axis (0 = load start), the load phase shaded.
import {
  chartBox,
  chartColumns,
  fitToWindow,
  readChartData,
  secondsTicks,
  secondsValue,
  shadeBand,
  zeroBased,
} from '../../report/client/shared.js';
import type { CompareChartData } from '../chart-data.js';

const HEIGHT = 240;

function drawCharts(root: HTMLElement, data: CompareChartData): void {
  function drawLoad(u: uPlot): void {
    shadeBand(u, 0, data.loadEnd, 'rgba(255,127,14,0.12)', 'load', 30);
  }

  function chartWidth(): number {
    const cell = root.querySelector('.chart');
    const w = cell ? cell.clientWidth : root.clientWidth / 2;
    return Math.max(300, Math.min(w || 640, 900) - 4);
  }

  // every box first: the grid lays them out, then each chart takes its cell's width
  const boxes = data.charts.map((spec) => chartBox(root, spec));
  const plots = data.charts.map((spec, i) => {
    const series: uPlot.Series[] = [{ label: 's since load start', value: secondsValue }];
    for (const s of spec.series) series.push({ label: s.label, stroke: s.color, width: 2, points: { show: false } });
    const opts: uPlot.Options = {
      title: spec.title,
      width: chartWidth(),
      height: HEIGHT,
      cursor: { sync: { key: 'compare' } },
      scales: { x: { time: false }, y: { range: zeroBased } },
      axes: [
        { label: 'seconds since load start', values: secondsTicks },
        { label: spec.unit, size: 60 },
      ],
      series,
      hooks: { drawClear: [drawLoad] },
    };
    return new uPlot(opts, chartColumns(data, spec), boxes[i]);
  });
  fitToWindow(plots, chartWidth, HEIGHT);
}

const root = document.getElementById('charts');
if (!root) throw new Error('comparison.html: no #charts element');
const data = readChartData<CompareChartData>(root, 'compare-data', 'No timeline samples were recorded.');
if (data) drawCharts(root, data);
