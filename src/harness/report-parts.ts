// The parts every report.json shares, finished or interrupted: its head (schema, tool, run id, start), the
// machine it ran on, and the tree's peaks as the sampler folded them.
import os from 'node:os';
import { SCHEMA_VERSION, type Report } from '../model/report.js';
import { version } from '../version.js';
import type { Sampler } from './probes/sampler.js';

export function reportHead(runId: string, startedAt: Date): Pick<Report, 'schema' | 'tool' | 'runId' | 'startedAt'> {
  return { schema: SCHEMA_VERSION, tool: { name: 'handoff', version }, runId, startedAt: startedAt.toISOString() };
}

export function machineFacts(): Report['machine'] {
  const cpus = os.cpus();
  return { cores: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` };
}

/** The sampler's peaks as the report states them; none sampled yet: zeros. */
export function reportPeaks(sampler: Pick<Sampler, 'peaks'> | null | undefined): Report['peaks'] {
  const p = sampler?.peaks();
  return p
    ? { children: p.children, fds: p.fds, rssBytes: p.rssBytes, pssBytes: p.pssBytes, closeWait: p.closeWait }
    : { children: 0, fds: 0, rssBytes: 0, closeWait: 0 };
}
