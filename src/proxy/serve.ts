// `handoff serve`: load one strategy, listen, announce where (stdout lines the harness parses), and on
// SIGTERM/SIGINT shut down gracefully and exit 0.
import type { ProxyOptions } from './options.js';
import { formatListening, formatPool } from './announce.js';
import { loadStrategy } from './strategies/index.js';
import { TargetStartError } from '../util/errors.js';

export async function serve(options: ProxyOptions): Promise<void> {
  const strategy = await loadStrategy(options);
  let address;
  try {
    address = await strategy.listen();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TargetStartError(`cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`, {
      command: process.argv.slice(1),
      stderr: '',
      exitCode: null,
      signal: null,
    });
  }
  process.stdout.write(`${formatListening(address.address, address.port)}\n${formatPool(strategy.pool())}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return; // a second signal changes nothing: the grace deadline already bounds shutdown
    stopping = true;
    process.stderr.write(`handoff serve: ${signal}, shutting down (grace ${options.shutdownGraceMs} ms)\n`);
    strategy
      .shutdown(options.shutdownGraceMs)
      .catch((err: unknown) => {
        process.stderr.write(`handoff serve: shutdown error: ${err instanceof Error ? err.message : String(err)}\n`);
      })
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The proxy must outlive any single bad request: log and carry on instead of dying with every connection.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`handoff serve: uncaught ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  });
}
