// The checks of `handoff exec`: what a command (a test suite, a build, a script) left behind once it exited. Pure
// over ExecObservations. They reuse the ids of the stress checks they stand for, so an allow-list entry, a
// threshold on failed_checks and the renderers read them as they read a stress run: no-orphans (a process that
// outlived the command), no-zombies (one never reaped, or reaped only after the zombie bound while it ran),
// sockets-drained (a socket — listening ones included — held by what outlived it).
import type { CheckResult, Evidence } from '../../model/report.js';
import { processKey, type OwnedSocket, type ProcessSnapshot, type ZombieSpan } from '../probes/types.js';
import { capped, plural, processEvidence, socketEvidence, withMore } from './evidence.js';

/** A process alive after the command exited, and how the harness knew it was the command's. */
export interface Leftover {
  process: ProcessSnapshot;
  /** marker: carries HANDOFF_RUN_ID; adopted: reparented to the harness (subreaper) with or without it */
  via: 'marker' | 'adopted' | 'tree';
}

export interface ExecObservations {
  /** the harness was a child subreaper: leftovers were also found by adoption, not by the marker alone */
  adoptsOrphans: boolean;
  /** alive (not zombies) once the command had exited and the grace passed */
  leftovers: Leftover[];
  /** zombies of the command's still unreaped then (an adopted zombie is the harness's to reap: not counted) */
  zombiesLeft: ProcessSnapshot[];
  /** descendants seen as zombies while the command ran */
  zombieSpans: ZombieSpan[];
  zombieBoundMs: number;
  /** distinct descendants seen while the command ran (the sample size) */
  descendantsSeen: number;
  /** TCP sockets (any state) the leftovers held */
  sockets: OwnedSocket[];
  graceMs: number;
  firstSeen: (key: string) => number | null;
}

export interface ExecCheck {
  readonly id: CheckResult['id'];
  readonly passesWhen: string;
  evaluate(obs: ExecObservations): CheckResult;
}

const VIA: Record<Leftover['via'], string> = {
  marker: 'carries the run marker',
  adopted: 'reparented to the harness (its parent exited)',
  tree: "still in the command's tree",
};

export const execLeftovers: ExecCheck = {
  id: 'no-orphans',
  passesWhen:
    'no process of the command (carrying the run marker or adopted by the harness) is alive once it has exited and the grace has passed',
  evaluate(obs) {
    const how = obs.adoptsOrphans ? '' : ' (by the run marker only: no subreaper)';
    if (obs.leftovers.length === 0) {
      return {
        id: 'no-orphans',
        pass: true,
        summary: `nothing outlived the command by ${obs.graceMs} ms (${plural(obs.descendantsSeen, 'descendant')} seen while it ran)${how}`,
        evidence: [],
      };
    }
    const socketsOf = (pid: number): number => new Set(obs.sockets.filter((s) => s.pid === pid).map((s) => s.inode)).size;
    const { rows, more } = capped(obs.leftovers);
    return {
      id: 'no-orphans',
      pass: false,
      summary: `${plural(obs.leftovers.length, 'process', 'processes')} outlived the command by ${obs.graceMs} ms: ${[...new Set(obs.leftovers.map((l) => l.process.cmdline.split(' ')[0]))].slice(0, 3).join(', ')}${how}`,
      evidence: withMore(
        rows.map(({ process: p, via }) => {
          const n = socketsOf(p.pid);
          return processEvidence(
            p,
            obs.firstSeen,
            `outlived the command: ${VIA[via]}${n ? `, holds ${plural(n, 'TCP socket')}` : ''}; killed after the verdict`,
          );
        }),
        more,
        'processes',
      ),
    };
  },
};

export const execZombies: ExecCheck = {
  id: 'no-zombies',
  passesWhen: 'no zombie of the command is left unreaped once it exited, and none outlived the zombie bound while it ran',
  evaluate(obs) {
    const bound = obs.zombieBoundMs;
    const span = (z: ZombieSpan): number => Math.round(z.lastMs - z.firstMs);
    const left = new Set(obs.zombiesLeft.map(processKey));
    const overdue = obs.zombieSpans.filter((z) => span(z) > bound && !left.has(processKey(z.process)));
    if (obs.zombiesLeft.length === 0 && overdue.length === 0) {
      const seen = obs.zombieSpans.length;
      return {
        id: 'no-zombies',
        pass: true,
        summary: seen
          ? `${plural(seen, 'zombie')} seen while it ran, each reaped within ${bound} ms; none left`
          : 'no zombie seen, none left',
        evidence: [],
      };
    }
    const problems: string[] = [];
    if (obs.zombiesLeft.length)
      problems.push(
        `${plural(obs.zombiesLeft.length, 'zombie')} never reaped (parent pid ${[...new Set(obs.zombiesLeft.map((z) => z.ppid))].join(', ')})`,
      );
    if (overdue.length) problems.push(`${plural(overdue.length, 'zombie')} outlived the ${bound} ms zombie bound while the command ran`);
    const a = capped(obs.zombiesLeft);
    const b = capped(overdue);
    const evidence: Evidence[] = [
      ...withMore(
        a.rows.map((p) => processEvidence(p, obs.firstSeen, `zombie, parent ${p.ppid} never waited`)),
        a.more,
        'zombies',
      ),
      ...withMore(
        b.rows.map((z) => processEvidence(z.process, obs.firstSeen, `a zombie for ${span(z)} ms (bound ${bound} ms)`)),
        b.more,
        'zombies',
      ),
    ];
    return { id: 'no-zombies', pass: false, summary: problems.join('; '), evidence };
  },
};

export const execSockets: ExecCheck = {
  id: 'sockets-drained',
  passesWhen: 'no TCP socket, listening or connected, is held by a process that outlived the command',
  evaluate(obs) {
    if (obs.sockets.length === 0)
      return { id: 'sockets-drained', pass: true, summary: 'no TCP socket held by anything that outlived the command', evidence: [] };
    const states = new Map<string, Set<number>>();
    for (const s of obs.sockets) states.set(s.state, (states.get(s.state) ?? new Set()).add(s.inode));
    const { rows, more } = capped(obs.sockets);
    return {
      id: 'sockets-drained',
      pass: false,
      summary: `${[...states].map(([state, inodes]) => `${inodes.size} ${state}`).join(', ')} held by ${plural(new Set(obs.sockets.map((s) => s.pid)).size, 'leftover process', 'leftover processes')}`,
      evidence: withMore(
        rows.map((s) => socketEvidence(s, obs.firstSeen, `held by pid ${s.pid} fd ${s.fd}, which outlived the command`)),
        more,
        'sockets',
      ),
    };
  },
};

/** In report order. */
export const EXEC_CHECKS: readonly ExecCheck[] = [execLeftovers, execZombies, execSockets];

export function evaluateExec(obs: ExecObservations): CheckResult[] {
  return EXEC_CHECKS.map((c) => {
    try {
      return c.evaluate(obs);
    } catch (err) {
      return { id: c.id, pass: false, summary: `check crashed: ${(err as Error).message}`, evidence: [] };
    }
  });
}
