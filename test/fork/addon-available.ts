// Tests of --strategy fork need the native addon; without it they skip and say why.
import { loadForkAddon } from '../../src/proxy/fork/addon.js';

export function forkUnavailableReason(): string | null {
  const load = loadForkAddon();
  return load.ok ? null : `--strategy fork unavailable here: ${load.reason}`;
}
