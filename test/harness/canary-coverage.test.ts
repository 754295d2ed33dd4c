// The canary matrix is the spine of the product: every fault a strategy offers must have its case, proving the
// check it names fails on it. A fault added without a case (or a case for a fault the strategy refuses) fails here.
import t from 'tap';
import { FAULTS_BY_STRATEGY } from '../../src/proxy/faults.js';
import { STRATEGIES } from '../../src/proxy/options.js';
import { CASES } from './canary-cases.js';

t.test('every (strategy, fault) the proxy offers has a canary case, and no case exists for one it refuses', async (t) => {
  const offered = new Set<string>();
  for (const strategy of STRATEGIES) {
    const faults = FAULTS_BY_STRATEGY[strategy];
    t.ok(faults, `${strategy} declares its faults`);
    for (const fault of faults ?? []) offered.add(`${strategy} ${fault}`);
  }
  const cased = new Set(
    CASES.map((c) => {
      const fault = c.args[c.args.indexOf('--fault') + 1];
      return `${c.strategy} ${fault}`;
    }),
  );
  t.same([...offered].filter((k) => !cased.has(k)).sort(), [], 'offered faults without a case');
  t.same([...cased].filter((k) => !offered.has(k)).sort(), [], 'cases for faults the strategy refuses');
});
