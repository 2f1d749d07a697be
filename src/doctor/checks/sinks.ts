import { sinkAlarmRule } from '../../sinks/sink-alarms.ts';
import { type DoctorCheck, type Finding, ok } from '../finding.ts';

/**
 * The sinks as the data directory shows them: an open `sink-failing` alarm (a sink failing longer
 * than `sinks.alarmAfterMinutes`), readings dropped from a full outbox, and a backlog.
 */
export const sinksCheck: DoctorCheck = {
  name: 'sinks',
  async run({ outbox, alarms }) {
    if (!outbox)
      return [
        { check: 'sinks', severity: 'info', message: 'no sinks on this store (PostgreSQL)', fix: null },
      ];
    const targets = await outbox.listTargets();
    if (targets.length === 0)
      return [{ check: 'sinks', severity: 'info', message: 'no sink configured', fix: null }];
    const findings: Finding[] = [];
    for (const t of targets) {
      const [alarm] = await alarms.list({ rule: sinkAlarmRule(t.name), state: 'active', limit: 1 });
      const d = await outbox.depth(t.name);
      if (alarm)
        findings.push({
          check: 'sinks',
          severity: 'high',
          message: `sink ${t.name} failing: ${alarm.message}`,
          fix: `see the sink's last error on the system page (/api/v1/system), fix its target or credentials (docs/sinks.md)`,
        });
      if (d.dropped > 0)
        findings.push({
          check: 'sinks',
          severity: 'medium',
          message: `sink ${t.name} dropped ${d.dropped} readings from a full outbox`,
          fix: 'raise sinks.maxOutbox, or keep the target reachable',
        });
      if (!alarm && d.pending > 10_000)
        findings.push({
          check: 'sinks',
          severity: 'low',
          message: `sink ${t.name} has ${d.pending} readings waiting`,
          fix: 'watch vigil_sink_outbox_pending; a growing backlog means the target is slower than ingest',
        });
    }
    return findings.length > 0 ? findings : [ok('sinks', `${targets.length} sink(s) delivering`)];
  },
};
