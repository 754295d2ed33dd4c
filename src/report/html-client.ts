// The script the HTML report runs in the browser (plain ES2017, no imports): it reads the chart data
// embedded as JSON and draws one uPlot chart per spec, phases shaded as bands behind the series.
import { CHART_CLIENT_HELPERS } from './html-client-shared.js';

export const HTML_CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
${CHART_CLIENT_HELPERS}
  var PHASE_COLORS = {
    start: 'rgba(127,127,127,0.10)',
    baseline: 'rgba(31,119,180,0.10)',
    load: 'rgba(255,127,14,0.12)',
    drain: 'rgba(44,160,44,0.12)',
    shutdown: 'rgba(148,103,189,0.14)',
    verdict: 'rgba(127,127,127,0.10)'
  };
  var root = document.getElementById('charts');
  var data = readChartData(root, 'handoff-data', 'No timeline samples were recorded in this run.');
  if (!data) return;

  function drawPhases(u) {
    data.phases.forEach(function (p) {
      shadeBand(u, p.start, p.end, PHASE_COLORS[p.name] || 'rgba(0,0,0,0.05)', p.name, 40);
    });
  }

  function options(spec, width) {
    var scales = { x: { time: false }, y: { range: zeroBased } };
    var axes = [
      { label: 'seconds since start', values: secondsTicks },
      { scale: 'y', label: spec.units.y, size: 64 }
    ];
    if (spec.units.pct) {
      scales.pct = { range: zeroBased };
      axes.push({ scale: 'pct', side: 1, label: spec.units.pct, size: 64, grid: { show: false } });
    }
    var series = [{ label: 'time', value: secondsValue }];
    spec.series.forEach(function (s) {
      series.push({
        label: s.label,
        stroke: s.color,
        width: s.width || 1.5,
        dash: s.dash,
        scale: s.scale || 'y',
        points: { show: false }
      });
    });
    return {
      title: spec.title,
      width: width,
      height: 230,
      cursor: { sync: { key: 'handoff' } },
      scales: scales,
      axes: axes,
      series: series,
      hooks: { drawClear: [drawPhases] }
    };
  }

  function chartWidth() {
    return Math.max(320, Math.min(root.clientWidth || 960, 1400) - 8);
  }

  var plots = data.charts.map(function (spec) {
    var box = chartBox(root, spec);
    return new uPlot(options(spec, chartWidth()), chartColumns(data, spec), box);
  });
  fitToWindow(plots, chartWidth, 230);
})();
`;
