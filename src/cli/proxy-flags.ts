// The reference proxy's flags on a commander command (`serve`, and `stress`, which launches it): one per row of
// proxy/option-table.ts, in its order, with its placeholder and help.
import { Option, type Command } from 'commander';
import { PROXY_FLAG_KEYS, PROXY_OPTION_TABLE } from '../proxy/option-table.js';

export function proxyFlags(cmd: Command): Command {
  for (const key of PROXY_FLAG_KEYS) {
    const { flag, value, help, hidden } = PROXY_OPTION_TABLE[key];
    const option = new Option(value === null ? flag : `${flag} ${value}`, help);
    // --auth: accepted only to be refused with a message saying how credentials are passed (option-table.ts)
    cmd.addOption(hidden ? option.hideHelp() : option);
  }
  return cmd;
}
