// The script the comparison page runs in the browser (plain ES2017, no imports): one uPlot chart per
// quantity, one series per target on a shared time axis (0 = load start), the load phase shaded.
import { CHART_CLIENT_HELPERS } from '../report/html-client-shared.js';

export const COMPARE_CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
${CHART_CLIENT_HELPERS}
  var root = document.getElementById('charts');
  var data = readChartData(root, 'compare-data', 'No timeline samples were recorded.');
  if (!data) return;

  function drawLoad(u) {
    shadeBand(u, 0, data.loadEnd, 'rgba(255,127,14,0.12)', 'load', 30);
  }

  function chartWidth() {
    var cell = root.querySelector('.chart');
    var w = cell ? cell.clientWidth : root.clientWidth / 2;
    return Math.max(300, Math.min(w || 640, 900) - 4);
  }

  // every box first: the grid lays them out, then each chart takes its cell's width
  data.charts.forEach(function (spec) { chartBox(root, spec); });
  var plots = data.charts.map(function (spec) {
    var series = [{ label: 's since load start', value: secondsValue }];
    spec.series.forEach(function (s) {
      series.push({ label: s.label, stroke: s.color, width: 2, points: { show: false } });
    });
    var opts = {
      title: spec.title,
      width: chartWidth(),
      height: 240,
      cursor: { sync: { key: 'compare' } },
      scales: { x: { time: false }, y: { range: zeroBased } },
      axes: [
        { label: 'seconds since load start', values: secondsTicks },
        { label: spec.unit, size: 60 }
      ],
      series: series,
      hooks: { drawClear: [drawLoad] }
    };
    return new uPlot(opts, chartColumns(data, spec), document.getElementById('chart-' + spec.id));
  });
  fitToWindow(plots, chartWidth, 240);
})();
`;
