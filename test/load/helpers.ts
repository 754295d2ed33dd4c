// Shared by the generator tests: an in-process reference proxy (the inline behaviour, whose answers issue 2
// defines), the harness's origin, and a LoadContext like the one a run builds.
import type { AddressInfo } from 'node:net';
import { createForwardProxy, type ForwardProxy } from '../../src/proxy/forward.js';
import { DEFAULT_PROXY_OPTIONS, type ProxyOptions } from '../../src/proxy/options.js';
import { startOrigin, type Origin } from '../../src/harness/origin/server.js';
import type { Endpoint, LoadContext } from '../../src/harness/load/generator.js';

export interface Rig {
  origin: Origin;
  proxy: ForwardProxy;
  target: Endpoint;
  close(): Promise<void>;
}

export async function startRig(options: Partial<ProxyOptions> = {}): Promise<Rig> {
  const origin = await startOrigin();
  const proxy = createForwardProxy({ ...DEFAULT_PROXY_OPTIONS, connectPorts: [origin.echoPort], ...options });
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', () => resolve()));
  const port = (proxy.server.address() as AddressInfo).port;
  return {
    origin,
    proxy,
    target: { host: '127.0.0.1', port },
    async close() {
      await proxy.close(0);
      proxy.server.closeAllConnections();
      await origin.close();
    },
  };
}

export function loadContext(target: Endpoint, origin: Origin, extra: Partial<LoadContext> = {}): LoadContext {
  const t0 = performance.now();
  let n = 0;
  return {
    mode: 'proxy',
    target,
    origin: { host: origin.host, port: origin.port },
    checkTokens: true,
    expectStatus: (s) => s >= 200 && s < 300,
    clock: () => performance.now() - t0,
    signal: new AbortController().signal,
    nextToken: (g) => `tk-${g}-${(++n).toString(36)}`,
    echo: { host: origin.host, port: origin.echoPort },
    ...extra,
  };
}
