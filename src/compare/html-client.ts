// The script the comparison page runs in the browser (plain ES2017, no imports): one uPlot chart per
// quantity, one series per target on a shared time axis (0 = load start), the load phase shaded.
export const COMPARE_CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var root = document.getElementById('charts');
  var data = JSON.parse(document.getElementById('compare-data').textContent);
  if (!data.x.length) {
    root.textContent = 'No timeline samples were recorded.';
    document.body.setAttribute('data-charts', '0');
    return;
  }

  function drawLoad(u) {
    var ctx = u.ctx, box = u.bbox, px = uPlot.pxRatio;
    var l = Math.max(u.valToPos(0, 'x', true), box.left);
    var r = Math.min(u.valToPos(data.loadEnd, 'x', true), box.left + box.width);
    if (!(r > l)) return;
    ctx.save();
    ctx.fillStyle = 'rgba(255,127,14,0.12)';
    ctx.fillRect(l, box.top, r - l, box.height);
    ctx.fillStyle = '#555';
    ctx.font = Math.round(11 * px) + 'px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    if (r - l > 30 * px) ctx.fillText('load', l + 4 * px, box.top + 3 * px);
    ctx.restore();
  }

  function zeroBased(u, min, max) {
    return [Math.min(0, min), max > 0 ? max * 1.08 : 1];
  }

  function chartWidth() {
    var cell = root.querySelector('.chart');
    var w = cell ? cell.clientWidth : root.clientWidth / 2;
    return Math.max(300, Math.min(w || 640, 900) - 4);
  }

  var plots = [];
  data.charts.forEach(function (spec) {
    var box = document.createElement('div');
    box.className = 'chart';
    box.id = 'chart-' + spec.id;
    root.appendChild(box);
  });
  data.charts.forEach(function (spec) {
    var series = [{ label: 's since load start', value: function (u, v) { return v == null ? '—' : v.toFixed(1) + ' s'; } }];
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
        { label: 'seconds since load start', values: function (u, vals) { return vals.map(function (v) { return v + ' s'; }); } },
        { label: spec.unit, size: 60 }
      ],
      series: series,
      hooks: { drawClear: [drawLoad] }
    };
    var columns = [data.x].concat(spec.series.map(function (s) { return s.values; }));
    plots.push(new uPlot(opts, columns, document.getElementById('chart-' + spec.id)));
  });

  var pending = 0;
  window.addEventListener('resize', function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () {
      var w = chartWidth();
      plots.forEach(function (p) { p.setSize({ width: w, height: 240 }); });
    });
  });
  document.body.setAttribute('data-charts', String(plots.length));
})();
`;
