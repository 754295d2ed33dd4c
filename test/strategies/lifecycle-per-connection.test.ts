// Process lifecycle of per-connection: both handoff modes, and warm spares (a pool that is replaced).
import t from 'tap';
import { lifecycleSuite } from './lifecycle.js';

t.setTimeout(600_000);
await lifecycleSuite(t, 'per-connection --handoff ipc', { strategy: 'per-connection', args: ['--handoff', 'ipc'] });
await lifecycleSuite(t, 'per-connection --handoff stdio', { strategy: 'per-connection', args: ['--handoff', 'stdio'] });
await lifecycleSuite(t, 'per-connection --spares 2', { strategy: 'per-connection', args: ['--spares', '2'] });
