// The forward proxy's behaviour suite against node:cluster workers.
import t from 'tap';
import { behaviourSuite } from '../proxy/behaviour.js';

// every connection may start a process: slow on a loaded 2-core machine
t.setTimeout(600_000);

await behaviourSuite(t, { strategy: 'cluster', args: ['--workers', '2'] });
