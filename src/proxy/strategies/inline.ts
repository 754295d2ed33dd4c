// inline: one process, one event loop. The forward proxy's own http.Server listens: the baseline every
// process-based strategy is compared against.
import type { AddressInfo } from 'node:net';
import { createForwardProxy, type ForwardProxy } from '../forward.js';
import type { ProxyOptions } from '../options.js';
import type { PoolDeclaration, Strategy } from './strategy.js';

export function createStrategy(options: ProxyOptions): Strategy {
  let proxy: ForwardProxy | null = null;
  return {
    name: 'inline',
    listen(): Promise<AddressInfo> {
      const p = createForwardProxy(options);
      proxy = p;
      return new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        p.server.once('error', onError);
        p.server.listen({ host: options.host, port: options.port }, () => {
          p.server.off('error', onError);
          resolve(p.server.address() as AddressInfo);
        });
      });
    },
    pool(): PoolDeclaration {
      return { resident: 0, cap: 0 };
    },
    async shutdown(graceMs: number): Promise<void> {
      await proxy?.close(graceMs);
    },
  };
}
