// The script the HTML report runs in the browser (plain ES2017, no imports): it reads the chart data
// embedded as JSON and draws one uPlot chart per spec, phases shaded as bands behind the series.
export const HTML_CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var PHASE_COLORS = {
    start: 'rgba(127,127,127,0.10)',
    baseline: 'rgba(31,119,180,0.10)',
    load: 'rgba(255,127,14,0.12)',
    drain: 'rgba(44,160,44,0.12)',
    shutdown: 'rgba(148,103,189,0.14)',
    verdict: 'rgba(127,127,127,0.10)'
  };
  var root = document.getElementById('charts');
  var data = JSON.parse(document.getElementById('handoff-data').textContent);
  if (!data.x.length) {
    root.textContent = 'No timeline samples were recorded in this run.';
    document.body.setAttribute('data-charts', '0');
    return;
  }

  // Phases shaded behind the series: drawClear runs after the canvas is cleared, before axes and series.
  function drawPhases(u) {
    var ctx = u.ctx, box = u.bbox, px = uPlot.pxRatio;
    ctx.save();
    ctx.font = Math.round(11 * px) + 'px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    data.phases.forEach(function (p) {
      var l = Math.max(u.valToPos(p.start, 'x', true), box.left);
      var r = Math.min(u.valToPos(p.end, 'x', true), box.left + box.width);
      if (!(r > l)) return;
      ctx.fillStyle = PHASE_COLORS[p.name] || 'rgba(0,0,0,0.05)';
      ctx.fillRect(l, box.top, r - l, box.height);
      if (r - l > 40 * px) {
        ctx.fillStyle = '#555';
        ctx.fillText(p.name, l + 4 * px, box.top + 3 * px);
      }
    });
    ctx.restore();
  }

  function zeroBased(u, min, max) {
    return [Math.min(0, min), max > 0 ? max * 1.08 : 1];
  }

  function options(spec, width) {
    var scales = { x: { time: false }, y: { range: zeroBased } };
    var axes = [
      { label: 'seconds since start', values: function (u, vals) { return vals.map(function (v) { return v + ' s'; }); } },
      { scale: 'y', label: spec.units.y, size: 64 }
    ];
    if (spec.units.pct) {
      scales.pct = { range: zeroBased };
      axes.push({ scale: 'pct', side: 1, label: spec.units.pct, size: 64, grid: { show: false } });
    }
    var series = [{ label: 'time', value: function (u, v) { return v == null ? '—' : v.toFixed(1) + ' s'; } }];
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

  var plots = [];
  data.charts.forEach(function (spec) {
    var box = document.createElement('div');
    box.className = 'chart';
    box.id = 'chart-' + spec.id;
    root.appendChild(box);
    var columns = [data.x].concat(spec.series.map(function (s) { return s.values; }));
    plots.push(new uPlot(options(spec, chartWidth()), columns, box));
  });

  var pending = 0;
  window.addEventListener('resize', function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () {
      var w = chartWidth();
      plots.forEach(function (p) { p.setSize({ width: w, height: 230 }); });
    });
  });
  document.body.setAttribute('data-charts', String(plots.length));
})();
`;
