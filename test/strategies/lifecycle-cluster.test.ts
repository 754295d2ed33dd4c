// Process lifecycle of cluster.
import t from 'tap';
import { lifecycleSuite } from './lifecycle.js';

t.setTimeout(600_000);
await lifecycleSuite(t, 'cluster', { strategy: 'cluster', args: ['--workers', '2'] });
