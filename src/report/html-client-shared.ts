// Browser-side helpers both chart pages splice into their client script (plain ES2017, no imports; the
// functions land in the script's own IIFE scope): reading the embedded data, the zero-based y range, a
// shaded time band behind the series, chart boxes, and re-sizing every chart with the window.
export const CHART_CLIENT_HELPERS = String.raw`
  /** The embedded chart data, or null (and a note in the page, 0 charts) when no sample was recorded. */
  function readChartData(root, dataId, emptyText) {
    var data = JSON.parse(document.getElementById(dataId).textContent);
    if (data.x.length) return data;
    root.textContent = emptyText;
    document.body.setAttribute('data-charts', '0');
    return null;
  }

  function zeroBased(u, min, max) {
    return [Math.min(0, min), max > 0 ? max * 1.08 : 1];
  }

  function secondsValue(u, v) {
    return v == null ? '—' : v.toFixed(1) + ' s';
  }

  function secondsTicks(u, vals) {
    return vals.map(function (v) { return v + ' s'; });
  }

  // A band from start to end (x values), labelled when wide enough; called from drawClear, which runs after
  // the canvas is cleared and before axes and series, so the band sits behind them.
  function shadeBand(u, start, end, color, label, minLabelPx) {
    var ctx = u.ctx, box = u.bbox, px = uPlot.pxRatio;
    var l = Math.max(u.valToPos(start, 'x', true), box.left);
    var r = Math.min(u.valToPos(end, 'x', true), box.left + box.width);
    if (!(r > l)) return;
    ctx.save();
    ctx.fillStyle = color;
    ctx.fillRect(l, box.top, r - l, box.height);
    if (r - l > minLabelPx * px) {
      ctx.fillStyle = '#555';
      ctx.font = Math.round(11 * px) + 'px system-ui, sans-serif';
      ctx.textBaseline = 'top';
      ctx.fillText(label, l + 4 * px, box.top + 3 * px);
    }
    ctx.restore();
  }

  function chartBox(root, spec) {
    var box = document.createElement('div');
    box.className = 'chart';
    box.id = 'chart-' + spec.id;
    root.appendChild(box);
    return box;
  }

  function chartColumns(data, spec) {
    return [data.x].concat(spec.series.map(function (s) { return s.values; }));
  }

  /** Re-sizes the plots with the window (once a frame) and tells the page how many charts it has. */
  function fitToWindow(plots, chartWidth, height) {
    var pending = 0;
    window.addEventListener('resize', function () {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(function () {
        var w = chartWidth();
        plots.forEach(function (p) { p.setSize({ width: w, height: height }); });
      });
    });
    document.body.setAttribute('data-charts', String(plots.length));
  }
`;
