// The script report.html runs in the browser (bundled to dist/client/report.js by scripts/build-client.mjs,
// inlined by src/report/html.ts): it reads the chart data embedded as JSON and draws one uPlot chart per
// spec, phases shaded as bands behind the series.
import type { ChartData, ChartSpec } from '../chart-data.js';
import { chartBox, chartColumns, fitToWindow, readChartData, secondsTicks, secondsValue, shadeBand, zeroBased } from './shared.js';

const PHASE_COLORS: Record<string, string> = {
  start: 'rgba(127,127,127,0.10)',
  baseline: 'rgba(31,119,180,0.10)',
  load: 'rgba(255,127,14,0.12)',
  drain: 'rgba(44,160,44,0.12)',
  shutdown: 'rgba(148,103,189,0.14)',
  verdict: 'rgba(127,127,127,0.10)',
};
const HEIGHT = 230;

function drawCharts(root: HTMLElement, data: ChartData): void {
  function drawPhases(u: uPlot): void {
    for (const p of data.phases) shadeBand(u, p.start, p.end, PHASE_COLORS[p.name] || 'rgba(0,0,0,0.05)', p.name, 40);
  }

  function options(spec: ChartSpec, width: number): uPlot.Options {
    const scales: uPlot.Scales = { x: { time: false }, y: { range: zeroBased } };
    const axes: uPlot.Axis[] = [
      { label: 'seconds since start', values: secondsTicks },
      { scale: 'y', label: spec.units.y, size: 64 },
    ];
    if (spec.units.pct) {
      scales.pct = { range: zeroBased };
      axes.push({ scale: 'pct', side: 1, label: spec.units.pct, size: 64, grid: { show: false } });
    }
    const series: uPlot.Series[] = [{ label: 'time', value: secondsValue }];
    for (const s of spec.series) {
      series.push({
        label: s.label,
        stroke: s.color,
        width: s.width || 1.5,
        dash: s.dash,
        scale: s.scale || 'y',
        points: { show: false },
      });
    }
    return {
      title: spec.title,
      width,
      height: HEIGHT,
      cursor: { sync: { key: 'handoff' } },
      scales,
      axes,
      series,
      hooks: { drawClear: [drawPhases] },
    };
  }

  const chartWidth = (): number => Math.max(320, Math.min(root.clientWidth || 960, 1400) - 8);

  const plots = data.charts.map((spec) => {
    const box = chartBox(root, spec);
    return new uPlot(options(spec, chartWidth()), chartColumns(data, spec), box);
  });
  fitToWindow(plots, chartWidth, HEIGHT);
}

const root = document.getElementById('charts');
if (!root) throw new Error('report.html: no #charts element');
const data = readChartData<ChartData>(root, 'handoff-data', 'No timeline samples were recorded in this run.');
if (data) drawCharts(root, data);
