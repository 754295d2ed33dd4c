// The forward proxy's behaviour suite against the fork strategy with children forked ahead (--spares 2): each
// connection is accepted by a spare, not by the zygote.
import t from 'tap';
import { behaviourSuite } from '../proxy/behaviour.js';
import { whenForkAvailable } from './addon-available.js';

await whenForkAvailable(() => behaviourSuite(t, { strategy: 'fork', args: ['--spares', '2'] }));
