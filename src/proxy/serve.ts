// STUB — replaced by the proxy work (issue 2).
import type { ProxyOptions } from './options.js';
export async function serve(_options: ProxyOptions): Promise<void> {
  throw new Error('serve not implemented yet');
}
