import { type BenchEntry, errorRow } from '../entry.ts';
import { type NotifyResult, notifySummaryRow, renderNotify, runNotify } from '../notify.ts';

export const entry: BenchEntry<NotifyResult> = {
  id: 'notify',
  title: 'out-of-range reading over MQTT -> alarm e-mail received by an SMTP server (TLS)',
  order: 75,
  inDefault: true,
  // Notify: MQTT reading -> alarm -> e-mail at an SMTP server, 100 alarms (20 with --quick).
  run: (ctx) => runNotify({ alarms: ctx.quick ? 20 : 100, roundTimeoutMs: 30_000 }, ctx.log),
  summary: (r) => [r ? notifySummaryRow(r) : errorRow('notify', 'Notify: MQTT reading -> alarm e-mail', '-')],
  details: (r) => renderNotify(r),
};
