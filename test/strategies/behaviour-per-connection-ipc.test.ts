// The forward proxy's behaviour suite against per-connection, socket handed over the IPC channel.
import t from 'tap';
import { behaviourSuite } from '../proxy/behaviour.js';

// every connection may start a process: slow on a loaded 2-core machine
t.setTimeout(600_000);

await behaviourSuite(t, { strategy: 'per-connection', args: ['--handoff', 'ipc'] });
