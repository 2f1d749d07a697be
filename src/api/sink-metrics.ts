import type { PrometheusText } from './prometheus-text.ts';
import type { SinkStatusView } from './sink-status-schema.ts';

/** The sinks' series of /metrics, labelled `sink` (and `kind`). */
export function renderSinkMetrics(m: PrometheusText, sinks: readonly SinkStatusView[], now: number): void {
  m.family('vigil_sink_up', 'gauge', '1 unless the sink is failing (its last delivery failed).');
  m.family('vigil_sink_failing_seconds', 'gauge', 'How long the sink has been failing (0 when it is not).');
  m.family('vigil_sink_delivered_total', 'counter', 'Readings the sink delivered since the process started.');
  m.family(
    'vigil_sink_failures_total',
    'counter',
    'Failed deliveries (each retry counts) since the process started.',
  );
  m.family(
    'vigil_sink_refused_total',
    'counter',
    'Readings the target refused for good (dropped) since the process started.',
  );
  m.family('vigil_sink_outbox_pending', 'gauge', 'Readings waiting in the sink outbox.');
  m.family(
    'vigil_sink_outbox_dropped_total',
    'counter',
    'Readings dropped because the sink outbox was full (sink lifetime).',
  );
  m.family(
    'vigil_sink_last_success_timestamp_seconds',
    'gauge',
    'Time of the last successful delivery (Unix time).',
  );
  for (const s of sinks) {
    const l = { sink: s.name, kind: s.kind };
    m.sample('vigil_sink_up', s.state === 'failing' ? 0 : 1, l);
    m.sample(
      'vigil_sink_failing_seconds',
      s.failingSince === null ? 0 : Math.max(0, (now - Date.parse(s.failingSince)) / 1000),
      l,
    );
    m.sample('vigil_sink_delivered_total', s.delivered, l);
    m.sample('vigil_sink_failures_total', s.failures, l);
    m.sample('vigil_sink_refused_total', s.refused, l);
    m.sample('vigil_sink_outbox_pending', s.outbox.pending, l);
    m.sample('vigil_sink_outbox_dropped_total', s.outbox.dropped, l);
    if (s.lastSuccessAt !== null)
      m.sample(
        'vigil_sink_last_success_timestamp_seconds',
        Math.floor(Date.parse(s.lastSuccessAt) / 1000),
        l,
      );
  }
}
