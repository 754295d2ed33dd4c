// The forward proxy's behaviour suite against the fork strategy (a zygote fork()s one child per connection).
import t from 'tap';
import { behaviourSuite } from '../proxy/behaviour.js';
import { forkUnavailableReason } from './addon-available.js';

const unavailable = forkUnavailableReason();
if (unavailable) t.plan(0, unavailable);
else await behaviourSuite(t, { strategy: 'fork' });
