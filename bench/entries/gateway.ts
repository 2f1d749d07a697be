import { type BenchEntry, errorRow } from '../entry.ts';
import { type GatewayBenchResult, gatewaySummaryRows, runGatewayBench } from '../gateway.ts';

/** Store and forward through an uplink outage: 20 devices buffer an hour in a gateway (docs/gateway.md). */
export const entry: BenchEntry<GatewayBenchResult> = {
  id: 'gateway',
  title: '20 devices buffer an hour in a gateway; forward rate when the uplink returns',
  order: 78,
  inDefault: true,
  // 100,000 readings through a durable queue twice (buffered, then forwarded) on a busy machine.
  extraTimeMs: () => 300_000,
  run: (ctx) =>
    runGatewayBench({ devices: 20, perDevice: ctx.quick ? 1000 : 5000, timeoutMs: 300_000 }, ctx.log),
  summary: (r) =>
    r ? gatewaySummaryRows(r) : [errorRow('gateway', 'Gateway forward rate after an outage', '0 lost')],
};
