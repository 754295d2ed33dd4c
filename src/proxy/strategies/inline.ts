// inline: one process, one event loop. The forward proxy's own http.Server listens: the baseline every
// process-based strategy is compared against.
import type { AddressInfo } from 'node:net';
import { createForwardProxy, type ForwardProxy } from '../forward.js';
import { createCanary } from '../canary.js';
import { assertFaultSupported } from '../process/fault-support.js';
import type { ProxyOptions } from '../options.js';
import type { PoolDeclaration } from '../protocol.js';
import type { Strategy } from './strategy.js';

export function createStrategy(options: ProxyOptions): Strategy {
  // zombie: an un-waited log-sink grandchild; fd-leak: a per-connection descriptor never closed
  assertFaultSupported(options);
  const canary = createCanary(options, 'inline');
  let proxy: ForwardProxy | null = null;
  return {
    name: 'inline',
    listen(): Promise<AddressInfo> {
      const p = createForwardProxy(options, canary.forwardHooks);
      proxy = p;
      p.server.on('connection', () => canary.onConnection());
      return new Promise((resolve, reject) => {
        // a start that fails must not leave the fault's helper process (it would keep this process alive)
        const onError = (err: Error): void => void canary.close().finally(() => reject(err));
        p.server.once('error', onError);
        p.server.listen({ host: options.host, port: options.port }, () => {
          p.server.off('error', onError);
          resolve(p.server.address() as AddressInfo);
        });
      });
    },
    pool(): PoolDeclaration {
      // the zombie canary's log sink is a child the process keeps on purpose: declared, so it is not a leak
      return { resident: canary.helperProcesses, cap: canary.helperProcesses };
    },
    async shutdown(graceMs: number): Promise<void> {
      await proxy?.close(graceMs);
      await canary.close();
    },
  };
}
