// The forward proxy's behaviour suite against the fork strategy with children forked ahead (--spares 2): each
// connection is accepted by a spare, not by the zygote.
import t from 'tap';
import { behaviourSuite } from '../proxy/behaviour.js';
import { forkUnavailableReason } from './addon-available.js';

const unavailable = forkUnavailableReason();
if (unavailable) t.plan(0, unavailable);
else await behaviourSuite(t, { strategy: 'fork', args: ['--spares', '2'] });
