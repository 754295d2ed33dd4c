// What the numbers were measured on: they only mean something next to this.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  platform: string;
  kernel: string;
  memoryGiB: number;
  /** 1-minute load average when the run started: the machine is shared, this says how busy it was */
  loadAverageAtStart: number;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() already said what it knows
  }
  return {
    cores: os.availableParallelism(),
    cpuModel,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
