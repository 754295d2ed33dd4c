// The forward proxy's behaviour suite against prefork (recycling on, so recycles happen during the suite).
import t from 'tap';
import { behaviourSuite } from '../proxy/behaviour.js';

// every connection may start a process: slow on a loaded 2-core machine
t.setTimeout(600_000);

await behaviourSuite(t, { strategy: 'prefork', args: ['--workers', '2', '--max-connections-per-child', '10'] });
