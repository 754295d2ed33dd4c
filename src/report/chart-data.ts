// What the HTML report's charts draw, derived from the timeline (pure). Times are seconds since run start.
import type { Report } from '../model/report.js';

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  width?: number;
  dash?: number[];
  /** y scale key; charts with two scales put the second on the right */
  scale?: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** unit per scale key, for the axis labels */
  units: Record<string, string>;
  series: ChartSeries[];
}

export interface ChartData {
  x: number[];
  phases: { name: string; start: number; end: number }[];
  charts: ChartSpec[];
}

export const CLOSE_WAIT_COLOR = '#d62728';

/** Colours of the other socket states, in a fixed order so a state keeps its colour across reports. */
const STATE_COLORS: Record<string, string> = {
  ESTABLISHED: '#1f77b4',
  LISTEN: '#7f7f7f',
  TIME_WAIT: '#bcbd22',
  FIN_WAIT1: '#17becf',
  FIN_WAIT2: '#9edae5',
  LAST_ACK: '#e377c2',
  CLOSING: '#8c564b',
  SYN_SENT: '#aec7e8',
  SYN_RECV: '#ffbb78',
  NEW_SYN_RECV: '#c5b0d5',
  CLOSE: '#c49c94',
  UNKNOWN: '#dbdb8d',
};

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function chartData(report: Report): ChartData {
  const tl = report.timeline;
  const x = tl.map((p) => round(p.t / 1000));
  const col = (pick: (p: Report['timeline'][number]) => number | undefined | null): (number | null)[] =>
    tl.map((p) => {
      const v = pick(p);
      return v === undefined || v === null || !Number.isFinite(v) ? null : v;
    });

  const states = new Set<string>();
  for (const p of tl) for (const s of Object.keys(p.sockets ?? {})) states.add(s);
  states.add('CLOSE_WAIT'); // always drawn: a flat zero line is the reassuring answer
  const orderedStates = [...states].sort((a, b) => (a === 'CLOSE_WAIT' ? 1 : b === 'CLOSE_WAIT' ? -1 : a.localeCompare(b)));
  const socketSeries: ChartSeries[] = orderedStates.map((state) =>
    state === 'CLOSE_WAIT'
      ? { label: 'CLOSE_WAIT', color: CLOSE_WAIT_COLOR, width: 3, values: col((p) => p.sockets?.CLOSE_WAIT ?? 0) }
      : { label: state, color: STATE_COLORS[state] ?? '#999999', width: 1.5, values: col((p) => p.sockets?.[state] ?? 0) },
  );

  return {
    x,
    phases: report.phases.map((p) => ({ name: p.name, start: round(p.start / 1000), end: round(p.end / 1000) })),
    charts: [
      {
        id: 'processes',
        title: 'Live children, zombies and orphans',
        units: { y: 'processes' },
        series: [
          { label: 'live children', color: '#1f77b4', width: 2, values: col((p) => p.children) },
          { label: 'zombies', color: '#ff7f0e', width: 2, values: col((p) => p.zombies) },
          { label: 'orphans', color: '#9467bd', width: 2, values: col((p) => p.orphans) },
        ],
      },
      {
        id: 'fds',
        title: 'File descriptors of the tree, by kind',
        units: { y: 'fds' },
        series: [
          { label: 'total', color: '#333333', width: 1.5, dash: [6, 4], values: col((p) => p.fds) },
          { label: 'socket', color: '#1f77b4', width: 2, values: col((p) => p.fdsByKind?.socket) },
          { label: 'pipe', color: '#2ca02c', width: 2, values: col((p) => p.fdsByKind?.pipe) },
          { label: 'file', color: '#8c564b', width: 2, values: col((p) => p.fdsByKind?.file) },
          { label: 'other', color: '#7f7f7f', width: 2, values: col((p) => p.fdsByKind?.other) },
        ],
      },
      {
        id: 'sockets',
        title: 'TCP sockets owned by the tree, by state (CLOSE_WAIT in red)',
        units: { y: 'sockets' },
        series: socketSeries,
      },
      {
        id: 'rss',
        title: 'Memory of the tree',
        units: { y: 'MiB' },
        series: [
          { label: 'RSS (MiB)', color: '#17becf', width: 2, values: col((p) => round(p.rssBytes / (1024 * 1024), 1)) },
          // shared pages once: the honest figure for a forking tree, where RSS counts them in every child
          ...(tl.some((p) => p.pssBytes != null)
            ? [
                {
                  label: 'PSS (MiB)',
                  color: '#9467bd',
                  width: 2,
                  values: col((p) => (p.pssBytes == null ? null : round(p.pssBytes / (1024 * 1024), 1))),
                },
              ]
            : []),
        ],
      },
      {
        id: 'rate',
        title: 'Request rate and CPU of the tree',
        units: { y: 'req/s', pct: '% of one core' },
        series: [
          {
            label: tl.some((p) => typeof p.reqRate === 'number') ? 'requests/s' : 'requests/s (not recorded)',
            color: '#2ca02c',
            width: 2,
            values: col((p) => p.reqRate),
          },
          { label: 'CPU %', color: '#e377c2', width: 1.5, scale: 'pct', values: col((p) => p.cpuPct) },
        ],
      },
    ],
  };
}
