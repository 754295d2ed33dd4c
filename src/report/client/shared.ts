// Browser code both chart pages share (report.html, comparison.html), bundled into each page's script by
// scripts/build-client.mjs: reading the embedded data, the zero-based y range, a shaded time band behind the
// series, chart boxes, and re-sizing every chart with the window. uPlot is a global here: the page inlines
// its IIFE build in a <script> of its own before this code (src/report/html-shared.ts).

/** What every page's embedded chart data has: the shared x column (seconds). */
export interface TimeColumns {
  x: number[];
}

/** The embedded chart data, or null (and a note in the page, 0 charts) when no sample was recorded. */
export function readChartData<T extends TimeColumns>(root: HTMLElement, dataId: string, emptyText: string): T | null {
  const data = JSON.parse(document.getElementById(dataId)?.textContent ?? '') as T;
  if (data.x.length) return data;
  root.textContent = emptyText;
  document.body.setAttribute('data-charts', '0');
  return null;
}

export function zeroBased(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  return [Math.min(0, min), max > 0 ? max * 1.08 : 1];
}

export function secondsValue(_u: uPlot, v: number | null): string {
  return v == null ? '—' : `${v.toFixed(1)} s`;
}

export function secondsTicks(_u: uPlot, vals: number[]): string[] {
  return vals.map((v) => `${v} s`);
}

/**
 * A band from start to end (x values), labelled when wide enough; called from drawClear, which runs after
 * the canvas is cleared and before axes and series, so the band sits behind them.
 */
export function shadeBand(u: uPlot, start: number, end: number, color: string, label: string, minLabelPx: number): void {
  const ctx = u.ctx;
  const box = u.bbox;
  const px = uPlot.pxRatio;
  const l = Math.max(u.valToPos(start, 'x', true), box.left);
  const r = Math.min(u.valToPos(end, 'x', true), box.left + box.width);
  if (!(r > l)) return;
  ctx.save();
  ctx.fillStyle = color;
  ctx.fillRect(l, box.top, r - l, box.height);
  if (r - l > minLabelPx * px) {
    ctx.fillStyle = '#555';
    ctx.font = `${Math.round(11 * px)}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    ctx.fillText(label, l + 4 * px, box.top + 3 * px);
  }
  ctx.restore();
}

/** An empty box for one chart, appended to root, with the id tests and links use (chart-<spec id>). */
export function chartBox(root: HTMLElement, spec: { id: string }): HTMLDivElement {
  const box = document.createElement('div');
  box.className = 'chart';
  box.id = `chart-${spec.id}`;
  root.appendChild(box);
  return box;
}

/** uPlot's columns: the shared x, then one column per series. */
export function chartColumns(data: TimeColumns, spec: { series: { values: (number | null)[] }[] }): uPlot.AlignedData {
  return [data.x, ...spec.series.map((s) => s.values)];
}

/** Re-sizes the plots with the window (once a frame) and tells the page how many charts it has. */
export function fitToWindow(plots: uPlot[], chartWidth: () => number, height: number): void {
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      const w = chartWidth();
      for (const p of plots) p.setSize({ width: w, height });
    });
  });
  document.body.setAttribute('data-charts', String(plots.length));
}
