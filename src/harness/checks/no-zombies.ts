// A zombie is a leak when it outlives a bound measured in time, or is still there when the drain ends: a parent
// that reaps once a second (Apache prefork) is fine, a child that exits during the drain and is never waited for
// (the seed's MultiprocessingMixIn) is not.
import type { Evidence } from '../../model/report.js';
import type { Check } from './check.js';
import { capped, processEvidence, plural, withMore } from './evidence.js';
import { processKey, type ZombieSpan } from '../probes/types.js';

const spanMs = (z: ZombieSpan): number => Math.round(z.lastMs - z.firstMs);

export const noZombies: Check = {
  id: 'no-zombies',
  passesWhen: 'no zombie descendant outlives the zombie bound during the run, and none is left at the end of the drain',
  evaluate(run) {
    const bound = run.tolerances.zombieBoundMs;
    const atEnd = run.afterDrain.tree.filter((p) => p.depth >= 1 && p.state === 'Z');
    const endKeys = new Set(atEnd.map(processKey));
    const spanOf = new Map(run.zombieSpans.map((z) => [processKey(z.process), z]));
    // reaped eventually, but only after the bound: a parent that waits only when something else happens
    const overdue = run.zombieSpans.filter((z) => spanMs(z) > bound && !endKeys.has(processKey(z.process)));
    const longest = run.zombieSpans.reduce((m, z) => Math.max(m, spanMs(z)), 0);
    if (atEnd.length === 0 && overdue.length === 0) {
      const summary =
        run.zombieSpans.length === 0
          ? `no zombie descendant seen (${plural(run.descendantsSeen, 'descendant')} seen in all)`
          : `${plural(run.zombieSpans.length, 'zombie')} seen, each reaped within the ${bound} ms bound (longest seen ${longest} ms); none at the end of the drain`;
      return { id: 'no-zombies', pass: true, summary, evidence: [] };
    }
    const problems: string[] = [];
    if (atEnd.length > 0) {
      problems.push(
        `${plural(atEnd.length, 'zombie')} never reaped (parent pid ${[...new Set(atEnd.map((z) => z.ppid))].join(', ')}): still there at the end of the drain`,
      );
    }
    if (overdue.length > 0)
      problems.push(`${plural(overdue.length, 'zombie')} outlived the ${bound} ms zombie bound during the run (longest ${longest} ms)`);
    const endRows = capped(atEnd);
    const evidence: Evidence[] = withMore(
      endRows.rows.map((p) => {
        const span = spanOf.get(processKey(p));
        return processEvidence(
          p,
          run.firstSeen,
          `zombie${span ? ` since ${Math.round(span.firstMs)} ms` : ''}, parent ${p.ppid} never waited`,
        );
      }),
      endRows.more,
      'zombies',
    );
    const overdueRows = capped(overdue.map((z) => z.process));
    evidence.push(
      ...withMore(
        overdueRows.rows.map((p) =>
          processEvidence(
            p,
            run.firstSeen,
            `a zombie for ${spanMs(spanOf.get(processKey(p))!)} ms before its parent ${p.ppid} waited (bound ${bound} ms)`,
          ),
        ),
        overdueRows.more,
        'zombies',
      ),
    );
    return { id: 'no-zombies', pass: false, summary: problems.join('; '), evidence };
  },
};
