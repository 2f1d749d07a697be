import { PROFILE_PRESETS } from '../../coldchain/profiles.ts';
import { openContext, type VigilContext } from '../../data-dir/context.ts';
import { VigilError } from '../../errors.ts';
import { policyLines } from '../../reports/report-facts.ts';
import {
  type Batch,
  type CreateShipmentInput,
  SHIPMENT_STATES,
  type ShipmentState,
} from '../../shipments/shipment.ts';
import { custodyText, loadShipmentDetail, type ShipmentDetail } from '../../shipments/shipment-detail.ts';
import { ShipmentService } from '../../shipments/shipment-service.ts';
import { shipmentDetailView, shipmentView } from '../../shipments/shipment-view.ts';
import { ALARM_POLICY_OPTIONS, alarmPolicyFromFlags } from '../alarm-policy-flags.ts';
import { parseCommand } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, parsePositiveInt, parseTime, usage } from '../io.ts';

const PROFILES = `profiles: ${PROFILE_PRESETS.filter((p) => p !== 'custom').join(', ')}, or a JSON profile such as
  '{"preset":"custom","lowerC":15,"upperC":25}'`;

const ALARM_SPEC = `alarm SPEC: [OP]LIMIT[:DURATION] or off, e.g. 8:15m, '>=8:20m', --critical-below=-1:10m, 30m`;

const USAGE = `usage:
  vigil shipment create --device ID --profile NAME [--batch LOT[,PRODUCT,QTY[,VVM]] ...]
                        [--origin NAME] [--destination NAME] [--eta ISO] [--json]
                        [--warning-above SPEC] [--warning-below SPEC] [--critical-above SPEC]
                        [--critical-below SPEC] [--hysteresis C] [--merge-gap-minutes N]
  vigil shipment list [--state STATE] [--device ID] [--limit N] [--json]
  vigil shipment show ID [--json]
  vigil shipment deliver ID --token TOKEN
${PROFILES}
${ALARM_SPEC}`;

export const shipmentHelp: CommandHelp = {
  forms: {
    create: {
      synopsis:
        'shipment create --device ID --profile NAME [--batch LOT[,PRODUCT,QTY[,VVM]] ...] [--origin NAME] [--destination NAME] [--eta ISO] [--warning-above SPEC] [--warning-below SPEC] [--critical-above SPEC] [--critical-below SPEC] [--hysteresis C] [--merge-gap-minutes N] [--json]',
      about:
        'A planned shipment bound to a logger; it goes in transit when the logger sends its dispatch event (with the batch id and the delivery token).',
      options: [
        ['--device ID', 'the logger (a vaccine-transport device)'],
        ['--profile NAME', 'temperature profile: a preset or a JSON profile (below)'],
        ['--batch LOT', 'a batch: LOT, or LOT,PRODUCT,QTY[,VVM]; repeat for several'],
        ['--origin NAME', 'where it leaves from'],
        ['--destination NAME', 'where it goes'],
        ['--eta ISO', 'expected arrival'],
        ['--warning-above SPEC', "this shipment's warning tier above the range (alarm SPEC below)"],
        ['--warning-below SPEC', "this shipment's warning tier below the range"],
        ['--critical-above SPEC', "this shipment's critical tier above the range"],
        ['--critical-below SPEC', "this shipment's critical tier below the range"],
        ['--hysteresis C', 'degrees back inside the limit before an alarm clears'],
        ['--merge-gap-minutes N', 'excursions closer than N minutes count as one'],
        ['--json', 'print the shipment as one JSON object'],
      ],
    },
    list: {
      synopsis: 'shipment list [--state STATE] [--device ID] [--limit N] [--json]',
      about: 'Shipments, newest first.',
      options: [
        ['--state S', SHIPMENT_STATES.join(', ')],
        ['--device ID', "only this logger's shipments"],
        ['--limit N', 'at most N (default 100)'],
        ['--json', 'one JSON object per shipment (NDJSON)'],
      ],
    },
    show: {
      synopsis: 'shipment show ID [--json]',
      about:
        'One shipment with its cold-chain record: MKT, time out of range, excursions, gaps, alarms, custody.',
      options: [['--json', 'print {shipment, profile, trip, summary, alarms, custody} as one JSON object']],
    },
    deliver: {
      synopsis: 'shipment deliver ID --token TOKEN',
      about: 'Proof of delivery with the token the logger generated at dispatch (shown on its display).',
      options: [['--token T', 'the delivery token (never logged or audited)']],
    },
  },
  notes: `${PROFILES}\n${ALARM_SPEC}`,
};

/** The actor of everything done from a terminal (the CLI has no signed-in user). */
const CLI_ACTOR = 'cli';

function serviceOf(ctx: VigilContext): ShipmentService {
  return new ShipmentService({
    shipments: ctx.shipmentStore,
    store: ctx.store,
    master: ctx.master,
    clock: ctx.clock,
    logger: ctx.logger,
  });
}

/** `--profile refrigerated` or `--profile '{"preset":"custom",...}'`. */
function parseProfile(value: string | undefined): string | Record<string, unknown> {
  if (value === undefined)
    usage('--profile is required (refrigerated, frozen, ultra-cold, crt, or a JSON profile)');
  if (!value.trim().startsWith('{')) return value;
  try {
    const v = JSON.parse(value) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  return usage('--profile: not a JSON object');
}

/** `LOT` or `LOT,PRODUCT,QTY[,VVM]` (a lot number has no comma). */
function parseBatch(value: string): Batch {
  const [lot = '', product, qty, vvm] = value.split(',').map((p) => p.trim());
  if (product === undefined) return { lot, product: 'unspecified', quantity: 0 };
  if (qty === undefined || !/^\d+$/.test(qty)) usage(`--batch ${value}: use LOT or LOT,PRODUCT,QTY[,VVM]`);
  return { lot, product, quantity: Number(qty), ...(vvm ? { vvm } : {}) };
}

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '-' : new Date(ms).toISOString();

/** 5400000 -> `1h 30m`. */
function duration(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m}m`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

function showText(d: ShipmentDetail, io: CliIo): void {
  const s = d.shipment;
  const sum = d.summary;
  io.out(`${s.id}  ${s.state}  device ${s.deviceId}  profile ${d.profile.name}`);
  io.out(
    `  route       ${s.origin.name} -> ${s.destination.name}${s.eta !== null ? `  eta ${iso(s.eta)}` : ''}`,
  );
  for (const b of s.batches) {
    io.out(`  batch       ${b.lot}  ${b.product} x${b.quantity}${b.vvm ? ` (${b.vvm})` : ''}`);
  }
  if (s.dispatch) io.out(`  dispatch    ${iso(s.dispatch.at)}  batch id ${s.dispatch.batchId}`);
  if (s.delivery) {
    const where = s.delivery.lat !== null ? `  at ${s.delivery.lat}, ${s.delivery.lon}` : '';
    io.out(`  delivery    ${iso(s.delivery.at)}  by ${s.delivery.by}${where}`);
  }
  if (s.closedAt !== null) io.out(`  closed      ${iso(s.closedAt)}  (undelivered)`);
  if (s.decision) {
    const dd = s.decision;
    io.out(`  decision    ${dd.state} by ${dd.by} ${iso(dd.at)} (${dd.meaning}): ${dd.reason}`);
  }
  if (sum.readingCount > 0) {
    io.out(
      `  readings    ${sum.readingCount}${d.truncated ? ' (truncated)' : ''}, ${sum.minC} to ${sum.maxC} °C, MKT ${sum.mktC === null ? '-' : sum.mktC.toFixed(2)} °C`,
    );
  }
  for (const [label, text] of policyLines(d.profile))
    io.out(`  ${`${label.toLowerCase()}`.padEnd(18)} ${text}`);
  io.out(`  out of range  above ${duration(sum.timeAboveMs)}, below ${duration(sum.timeBelowMs)}`);
  for (const e of sum.excursions) {
    const merged = e.parts > 1 ? ` (${e.parts} merged)` : '';
    io.out(
      `  excursion   ${e.kind} ${iso(e.start)} .. ${iso(e.end)}  ${duration(e.durationMs)}${merged}  peak ${e.peakC} °C${e.ongoing ? ' (ongoing)' : ''}`,
    );
  }
  for (const a of d.alarms) {
    const disproved = a.disproved ? ` [disproved ${iso(a.disproved.at)}: ${a.disproved.reason}]` : '';
    io.out(`  alarm       ${a.state} ${a.severity} ${a.rule} ${iso(a.raisedAt)}${disproved} ${a.message}`);
  }
  for (const e of d.custody)
    io.out(`  custody     ${iso(e.at)} ${e.action} ${e.actor} ${custodyText(e.detail)}`);
}

/** `vigil shipment create|list|show|deliver`. */
export async function shipmentCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    device: { type: 'string' },
    profile: { type: 'string' },
    batch: { type: 'string', multiple: true },
    origin: { type: 'string' },
    destination: { type: 'string' },
    eta: { type: 'string' },
    state: { type: 'string' },
    limit: { type: 'string' },
    token: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...ALARM_POLICY_OPTIONS,
  });
  const [sub, id, ...extra] = positionals;
  if (!sub || extra.length > 0) usage(USAGE);
  const open = () =>
    openContext({ dataDir: values['data-dir'], env: io.env, logLevel: 'warn', createAdmin: false });

  if (sub === 'create') {
    if (id) usage(USAGE);
    if (!values.device) usage('--device is required');
    const profile = parseProfile(values.profile);
    const batches = (values.batch ?? []).map(parseBatch);
    const eta = parseTime('--eta', values.eta);
    const alarmPolicy = alarmPolicyFromFlags(values);
    const ctx = await open();
    try {
      const s = await serviceOf(ctx).create(
        {
          deviceId: values.device,
          profile: profile as CreateShipmentInput['profile'],
          batches,
          ...(values.origin ? { origin: { name: values.origin } } : {}),
          ...(values.destination ? { destination: { name: values.destination } } : {}),
          ...(eta !== undefined ? { eta } : {}),
          ...(alarmPolicy ? { alarmPolicy } : {}),
        },
        CLI_ACTOR,
      );
      if (values.json) io.out(JSON.stringify(shipmentView(s)));
      else {
        io.out(`created shipment ${s.id} (planned) for device ${s.deviceId}`);
        io.out('it goes in transit when the device sends its dispatch event');
      }
      return 0;
    } finally {
      await ctx.close();
    }
  }

  if (sub === 'list') {
    if (id) usage(USAGE);
    const state = values.state;
    if (state !== undefined && !(SHIPMENT_STATES as readonly string[]).includes(state)) {
      usage(`--state must be one of ${SHIPMENT_STATES.join(', ')}`);
    }
    const limit = parsePositiveInt('--limit', values.limit, 1000) ?? 100;
    const ctx = await open();
    try {
      const list = await serviceOf(ctx).list({
        ...(state ? { state: state as ShipmentState } : {}),
        ...(values.device ? { deviceId: values.device } : {}),
        limit,
      });
      for (const s of list) {
        if (values.json) io.out(JSON.stringify(shipmentView(s)));
        else {
          const lots = s.dispatch?.batchId ?? s.batches.map((b) => b.lot).join(',');
          io.out(
            `${s.id}  ${s.state.padEnd(11)} ${s.deviceId}  ${s.origin.name} -> ${s.destination.name}  ${lots || '-'}  created ${iso(s.createdAt)}`,
          );
        }
      }
      if (!values.json) io.err(`${list.length} shipment(s)`);
      return 0;
    } finally {
      await ctx.close();
    }
  }

  if (sub === 'show') {
    if (!id) usage(USAGE);
    const ctx = await open();
    try {
      const d = await loadShipmentDetail(
        { service: serviceOf(ctx), store: ctx.store, alarms: ctx.alarmStore, clock: ctx.clock },
        id,
      );
      if (values.json) io.out(JSON.stringify(shipmentDetailView(d)));
      else showText(d, io);
      return 0;
    } finally {
      await ctx.close();
    }
  }

  if (sub === 'deliver') {
    if (!id) usage(USAGE);
    if (!values.token) usage('--token is required (the delivery token shown by the logger)');
    const ctx = await open();
    try {
      const s = await serviceOf(ctx).deliver(id, values.token, CLI_ACTOR);
      const where = s.delivery?.lat !== null ? ` at ${s.delivery?.lat}, ${s.delivery?.lon}` : '';
      io.out(`shipment ${s.id} delivered ${iso(s.delivery?.at)}${where}`);
      return 0;
    } catch (err) {
      // Never echo the token: the error names the outcome only.
      if (err instanceof VigilError && err.code === 'VIGIL_ERR_DELIVERY_TOKEN') {
        io.err(`vigil shipment: delivery token does not match (the attempt was recorded) [${err.code}]`);
        return 1;
      }
      throw err;
    } finally {
      await ctx.close();
    }
  }
  usage(USAGE);
}
