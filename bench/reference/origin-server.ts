// The harness's origin (src/harness/origin/server.ts) in a process of its own, so that during a benchmark it does
// not share an event loop with the load generator. Prints `listening HOST:PORT`.
//   node dist/bench/reference/origin-server.js
import { startOrigin } from '../../src/harness/origin/server.js';

const origin = await startOrigin();
process.stdout.write(`listening ${origin.host}:${origin.port}\n`);
process.on('SIGTERM', () => {
  void origin.close().finally(() => process.exit(0));
});
