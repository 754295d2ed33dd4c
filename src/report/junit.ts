// junit.xml: one testcase per check (plus one per threshold and per expired allow-list entry), so any
// CI shows them natively. A failure's message is the check's summary; its body lists every piece of evidence.
import type { Report } from '../model/report.js';
import { escapeXml as x } from './escape.js';
import { checkStatus, evidenceText, inconclusiveText, interruptionText, logsText, protocolIntro, protocolText } from './text.js';

interface Case {
  name: string;
  classname: string;
  failure?: { message: string; type: string; body: string };
  /** the run could not be judged (inconclusive): an error, not a failure of the target */
  error?: { message: string; type: string };
  out?: string;
}

function cases(report: Report): Case[] {
  const classname = `handoff.${report.suite}.${report.strategy ?? 'command'}`;
  const list: Case[] = report.checks.map((c) => {
    const evidence = c.evidence.map(evidenceText).join('\n');
    const status = checkStatus(c);
    if (status === 'fail')
      return { name: c.id, classname, failure: { message: c.summary, type: 'check-failed', body: `${c.summary}\n${evidence}` } };
    if (status === 'waived') {
      return {
        name: c.id,
        classname,
        out: `failure waived by the allow-list until ${c.allowedBy!.expires}: ${c.allowedBy!.reason}\n${c.summary}\n${evidence}`,
      };
    }
    return { name: c.id, classname, out: c.summary };
  });
  for (const t of report.thresholds ?? []) {
    const shown = t.value === null ? 'no data' : String(t.value);
    const name = `threshold ${t.metric} ${t.expr}`;
    list.push(
      t.pass
        ? { name, classname: `${classname}.thresholds`, out: `value ${shown}` }
        : {
            name,
            classname: `${classname}.thresholds`,
            failure: {
              message: `${t.metric} = ${shown}, wanted ${t.expr}`,
              type: 'threshold-failed',
              body: `${t.metric} = ${shown}, wanted ${t.expr}`,
            },
          },
    );
  }
  const protocol = protocolIntro(report);
  if (protocol)
    list.push({
      name: 'protocol findings',
      classname: `${classname}.protocol`,
      out: [protocol, ...report.protocol!.findings.map(protocolText)].join('\n'),
    });
  const stopped = interruptionText(report);
  // no check ran: one error, not a failure of the target
  if (stopped) list.push({ name: 'interrupted', classname: `${classname}.run`, error: { message: stopped, type: 'interrupted' } });
  const logs = logsText(report);
  if (logs) list.push({ name: 'target logs', classname: `${classname}.run`, out: logs });
  const short = inconclusiveText(report);
  if (short) list.push({ name: 'evidence floor', classname: `${classname}.evidence`, error: { message: short, type: 'inconclusive' } });
  (report.allowList ?? []).forEach((a, i) => {
    if (!a.expired) return;
    const message = `allow-list entry #${i + 1} for ${a.check} (match ${JSON.stringify(a.match)}) expired on ${a.expires}`;
    list.push({
      name: `allow-list #${i + 1} ${a.check}`,
      classname: `${classname}.allow-list`,
      failure: { message, type: 'allow-list-expired', body: `${message}\nreason: ${a.reason}` },
    });
  });
  return list;
}

export function renderJunit(report: Report): string {
  const all = cases(report);
  const failures = all.filter((c) => c.failure).length;
  const errors = all.filter((c) => c.error).length;
  const seconds = ((report.phases.at(-1)?.end ?? 0) / 1000).toFixed(3);
  const suiteName = `handoff ${report.suite} ${report.strategy ?? report.target.command.join(' ')}`;
  const props: [string, string][] = [
    ['runId', report.runId],
    ['verdict', report.verdict],
    ['exitCode', String(report.exitCode)],
    ['suite', report.suite],
    ['strategy', report.strategy ?? ''],
    ['fault', report.fault ?? ''],
    ['target', report.target.command.join(' ')],
    // handoff exec: the command's own status, apart from the leak verdict (no drain to be quiet after)
    ...(report.exec
      ? ([
          ['commandExit', report.exec.signal ?? String(report.exec.code)],
          ['commandFailed', String(report.exec.failed)],
        ] as [string, string][])
      : ([['timeToQuietMs', report.timeToQuietMs === null ? 'never' : String(report.timeToQuietMs)]] as [string, string][])),
  ];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="handoff" tests="${all.length}" failures="${failures}" errors="${errors}" time="${seconds}">`,
    `  <testsuite name="${x(suiteName)}" tests="${all.length}" failures="${failures}" errors="${errors}" skipped="0" time="${seconds}" timestamp="${x(report.startedAt)}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${x(k)}" value="${x(v)}"/>`),
    '    </properties>',
  ];
  for (const c of all) {
    const open = `    <testcase name="${x(c.name)}" classname="${x(c.classname)}" time="0">`;
    if (c.error) {
      lines.push(
        open,
        `      <error message="${x(c.error.message)}" type="${x(c.error.type)}">${x(c.error.message)}</error>`,
        '    </testcase>',
      );
    } else if (c.failure) {
      lines.push(
        open,
        `      <failure message="${x(c.failure.message)}" type="${x(c.failure.type)}">${x(c.failure.body)}</failure>`,
        '    </testcase>',
      );
    } else if (c.out) {
      lines.push(open, `      <system-out>${x(c.out)}</system-out>`, '    </testcase>');
    } else {
      lines.push(open.replace(/>$/, '/>'));
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
