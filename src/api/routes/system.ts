import type { RoutePlugin } from '../api-deps.ts';
import type { StatusSources } from '../ports.ts';
import { systemSchema } from '../system-schema.ts';
import { systemStatus, systemStatusView } from '../system-status.ts';

/** System status for the dashboard's system page. */
export function systemRoutes(status: StatusSources): RoutePlugin {
  return async (app, { runtime }) => {
    app.get(
      '/api/v1/system',
      {
        config: { access: 'system.read' },
        schema: {
          summary:
            'Broker listeners and connections, ingest throughput, rejections, storage, certificates, backup, continuity',
          description:
            '`backup`: schedule, newest backup, last verify, drill (RPO/RTO) and off-site hook; `power`: the host UPS ' +
            '(NUT) and device power with battery runtimes; `disk`: free space, forecast, disk-full state (`readOnly`). ' +
            '`continuity`: brokers and the devices on each, devices offline, devices whose latest reading ' +
            'reports battery or backup power, devices that delivered backfill within `bufferingWindowMs` (they ' +
            'were buffering while offline; counted since the server started) and whether the broker is reachable. ' +
            '`sinks`: each configured sink (InfluxDB, webhooks) with its state, deliveries, failures and outbox.',
          tags: ['system'],
          response: { 200: systemSchema },
        },
      },
      async () => systemStatusView(await systemStatus(status, runtime)),
    );
  };
}
