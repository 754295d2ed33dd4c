// The forward proxy's behaviour suite against the inline strategy (one process, one event loop).
import t from 'tap';
import { behaviourSuite } from './behaviour.js';

await behaviourSuite(t, { strategy: 'inline' });
