// The forward proxy's behaviour suite against the fork strategy (a zygote fork()s one child per connection).
import t from 'tap';
import { behaviourSuite } from '../proxy/behaviour.js';
import { whenForkAvailable } from './addon-available.js';

await whenForkAvailable(() => behaviourSuite(t, { strategy: 'fork' }));
