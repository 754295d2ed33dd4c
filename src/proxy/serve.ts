// `handoff serve`: load one strategy, listen, announce where (stdout lines the harness parses), and on
// SIGTERM/SIGINT shut down gracefully and exit 0.
import type { AddressInfo } from 'node:net';
import type { ProxyOptions } from './options.js';
import { formatListening, formatPool, formatStats } from './protocol.js';
import { loadStrategy } from './strategies/index.js';
import { assertBindPolicy } from './bind-policy.js';
import { TargetStartError } from '../util/errors.js';

/** stderr may be a pipe whose reader is gone: a log line must never become an error of its own. */
function log(line: string): void {
  try {
    process.stderr.write(`handoff serve: ${line}\n`);
  } catch {
    // nowhere left to report to
  }
}

export async function serve(options: ProxyOptions): Promise<void> {
  // before anything binds: a non-loopback address without --public and credentials is a usage error
  assertBindPolicy(options);
  // A closed stdout/stderr (harness gone) raises EPIPE asynchronously; ignore it rather than die or loop.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  const strategy = await loadStrategy(options);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return; // a second signal changes nothing: the grace deadline already bounds shutdown
    stopping = true;
    // backstop: a strategy whose shutdown hangs must not keep the process alive forever
    setTimeout(() => {
      log('shutdown did not finish in time; exiting');
      process.exit(0);
    }, options.shutdownGraceMs + 10_000).unref();
    log(`${signal}, shutting down (grace ${options.shutdownGraceMs} ms)`);
    strategy
      .shutdown(options.shutdownGraceMs)
      .catch((err: unknown) => {
        log(`shutdown error: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => process.exit(0));
  };
  // Installed before listen(): prefork and cluster start their workers there, and a signal under the default
  // disposition would kill the master mid start-up and leave them to init. A signal during start-up is a
  // shutdown like any other (the strategy ends what listen() started, listen() settles, nothing is announced);
  // and the handler is in place before the listening line goes out: a harness may signal the moment it reads it.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let address: AddressInfo;
  try {
    address = await strategy.listen();
  } catch (err) {
    if (stopping) return; // interrupted by the signal: the shutdown under way ends the process (exit 0)
    const e = err as NodeJS.ErrnoException;
    throw new TargetStartError(`cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`, {
      command: process.argv.slice(1),
      stderr: '',
      exitCode: null,
      signal: null,
    });
  }
  if (stopping) return; // never announce an address that is already going away
  // control channel: a `stats` line with the strategy's counters (children live/spawned/crashed, queue, …)
  process.on('SIGUSR2', () => {
    const stats = strategy.stats?.();
    if (stats) process.stdout.write(`${formatStats(stats)}\n`);
  });
  process.stdout.write(`${formatListening(address.address, address.port)}\n${formatPool(strategy.pool())}\n`);

  // The proxy must outlive any single bad request: log and carry on instead of dying with every connection.
  let reported = 0;
  process.on('uncaughtException', (err) => {
    // bounded, so an error that repeats itself cannot flood the log or starve the event loop
    if (reported++ < 20) log(`uncaught ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  });
}
