// Process lifecycle of prefork (a recycle limit low enough to recycle during the test).
import t from 'tap';
import { lifecycleSuite } from './lifecycle.js';

t.setTimeout(600_000);
await lifecycleSuite(t, 'prefork', { strategy: 'prefork', args: ['--workers', '2', '--max-connections-per-child', '7'] });
