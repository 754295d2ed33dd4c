import type { Check } from './check.js';
import { capped, processEvidence, plural, withMore } from './evidence.js';
import { processKey } from '../probes/types.js';

export const noZombies: Check = {
  id: 'no-zombies',
  passesWhen: "no zombie (state Z) among the target's descendants after drain",
  evaluate(run) {
    const zombiesOf = (s: typeof run.baseline) => s.tree.filter((p) => p.depth >= 1 && p.state === 'Z');
    // reaping takes a moment: a zombie counts only if the previous drain sample showed it too
    const before = run.beforeLastDrain ? new Set(zombiesOf(run.beforeLastDrain).map(processKey)) : null;
    const zombies = zombiesOf(run.afterDrain).filter((p) => before === null || before.has(processKey(p)));
    if (zombies.length === 0) return { id: 'no-zombies', pass: true, summary: 'no zombie descendants after drain', evidence: [] };
    const { rows, more } = capped(zombies);
    return {
      id: 'no-zombies',
      pass: false,
      summary: `${plural(zombies.length, 'zombie')} never reaped (parent pid ${[...new Set(zombies.map((z) => z.ppid))].join(', ')})`,
      evidence: withMore(rows.map((p) => processEvidence(p, run.firstSeen, `zombie, parent ${p.ppid} never waited`)), more, 'zombies'),
    };
  },
};
