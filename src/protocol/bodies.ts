import { z } from 'zod';
import { VigilError } from '../errors.ts';
import type { Alg } from './alg.ts';
import type { DeviceProfile } from './device-profile.ts';
import { decodeUtf8, parseStrictJson, StrictJsonError } from './strict-json.ts';

/** Largest number of samples one telemetry envelope may carry (16 KiB envelope bound anyway). */
export const MAX_SAMPLES = 200;

const ts = z.number().int().nonnegative();
const pct = z.number().min(0).max(100);
const power = z.enum(['mains', 'battery', 'backup']);
const rssi = z.number().int().min(-150).max(0);

// DESIGN.md §4: field names by profile. Sensor-plausible bounds; clinical limits belong to rules.
export const SAMPLE_SCHEMAS = {
  'vaccine-transport': z.strictObject({
    ts,
    temp_c: z.number().min(-100).max(100),
    rh_pct: pct,
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    bat_pct: pct,
    power,
    door: z.enum(['open', 'closed']).optional(),
    rssi_dbm: rssi.optional(),
  }),
  'patient-vitals': z.strictObject({
    ts,
    hr_bpm: z.number().min(0).max(350),
    spo2_pct: pct,
    rr_bpm: z.number().min(0).max(120),
    sbp_mmhg: z.number().min(0).max(350),
    temp_c: z.number().min(20).max(46),
    on_oxygen: z.boolean(),
    consciousness: z.enum(['A', 'C', 'V', 'P', 'U']),
    spo2_scale: z.union([z.literal(1), z.literal(2)]).optional(),
    bat_pct: pct.optional(),
    rssi_dbm: rssi.optional(),
  }),
  'temperature-probe': z.strictObject({
    ts,
    temp_c: z.number().min(-100).max(100),
    rh_pct: pct.optional(),
    bat_pct: pct.optional(),
    power: power.optional(),
    rssi_dbm: rssi.optional(),
  }),
} as const;

export type ProfileName = keyof typeof SAMPLE_SCHEMAS;

// The body schemas are keyed by exactly the device profiles: adding one without the other fails to
// compile. (The check lives here so device-profile.ts stays free of imports: the API's schemas and
// the dashboard's types inferred from them name the profiles.)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Stryker disable next-line BooleanLiteral: a compile-time check; the value does nothing at run time.
const BODIES_MATCH: Same<DeviceProfile, ProfileName> = true;
void BODIES_MATCH;

const shortText = z.string().min(1).max(128);
const scalar = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);

/** Known event types are checked strictly; others must be flat objects of short scalars. */
const KNOWN_EVENTS: Readonly<Record<string, z.ZodType<unknown>>> = {
  dispatch: z.strictObject({
    type: z.literal('dispatch'),
    ts: ts.optional(),
    batch: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/),
    token: z.string().regex(/^[A-Za-z0-9_-]{6,64}$/),
    shipment: shortText.optional(),
  }),
  delivery: z.strictObject({ type: z.literal('delivery'), ts: ts.optional(), batch: shortText.optional() }),
  door: z.strictObject({ type: z.literal('door'), ts: ts.optional(), state: z.enum(['open', 'closed']) }),
  power: z.strictObject({
    type: z.literal('power'),
    ts: ts.optional(),
    source: z.enum(['mains', 'battery', 'backup']),
  }),
  battery_low: z.strictObject({ type: z.literal('battery_low'), ts: ts.optional(), bat_pct: pct }),
  // A certificate signing request for renewal (docs/protocol.md §13): PKCS#10 DER, base64url.
  csr: z.strictObject({
    type: z.literal('csr'),
    ts: ts.optional(),
    csr: z.string().regex(/^[A-Za-z0-9_-]{16,4096}$/),
  }),
  cooling: z.strictObject({
    type: z.literal('cooling'),
    ts: ts.optional(),
    state: z.enum(['ok', 'failed', 'overcooling', 'restored']),
  }),
};

/**
 * Names every JavaScript object already has: as a generic event's `type` or any member name they
 * would reach lookup tables downstream (`handlers[ev.type]`), so the protocol reserves them (the
 * JSON reader refuses them as member names, the generic event schema as a `type`).
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor']);
const genericEvent = z
  .record(z.string().regex(/^[a-z_]{1,32}$/), scalar)
  .refine(
    (o) => typeof o.type === 'string' && /^[a-z_]{2,32}$/.test(o.type) && !RESERVED_NAMES.has(o.type),
    'type required',
  )
  .refine((o) => Object.keys(o).length <= 32, 'too many fields')
  .refine(
    (o) => o.ts === undefined || (Number.isSafeInteger(o.ts) && (o.ts as number) >= 0),
    'ts must be epoch milliseconds',
  );

export const ackSchema = z.strictObject({
  id: z.uuid(),
  ok: z.boolean(),
  error: z.string().max(256).optional(),
  result: z.record(z.string(), scalar).optional(),
});

/**
 * Arguments that may exceed 256 characters (docs/protocol.md §7.3): DER certificates in base64url
 * and firmware manifests, which only these ops carry. Everything else stays a flat object of short scalars.
 */
export const LONG_COMMAND_ARGS: Readonly<Record<string, string>> = {
  cert: 'cert',
  trust_bundle: 'bundle',
  // The signed firmware manifest (docs/ota.md), as its canonical JSON text.
  ota: 'manifest',
};
/** Largest long argument (characters); an envelope stays within 16 KiB. */
export const MAX_LONG_ARG_CHARS = 8192;

const longScalar = z.union([z.string().max(MAX_LONG_ARG_CHARS), z.number(), z.boolean(), z.null()]);

export const commandSchema = z
  .strictObject({
    id: z.uuid(),
    op: z.string().regex(/^[a-z_]{2,32}$/),
    args: z.record(z.string(), longScalar).default({}),
  })
  // z.number() already refuses Infinity and NaN (zod 4), so only the string lengths remain.
  .superRefine((c, ctx) => {
    const long = LONG_COMMAND_ARGS[c.op];
    for (const [k, v] of Object.entries(c.args)) {
      if (typeof v === 'string' && v.length > 256 && k !== long)
        ctx.addIssue({ code: 'custom', path: ['args', k], message: 'string longer than 256 characters' });
    }
  });

export type Sample = { ts: number } & Record<string, unknown>;
export type DeviceEventBody = { type: string; ts?: number } & Record<string, unknown>;

function bodyError(err: z.ZodError): VigilError {
  // A failed safeParse reports at least one issue.
  const first = err.issues[0] as z.core.$ZodIssue;
  return new VigilError('VIGIL_ERR_BODY_SCHEMA', `${first.path.join('.') || '(root)'}: ${first.message}`);
}

/**
 * docs/protocol.md §7: `__proto__` and `constructor` are never member names (zod would drop a
 * `__proto__` member silently), and `ts`, `rssi_dbm`, `spo2_scale` are integers in plain decimal
 * wherever they appear.
 */
const BODY_JSON = {
  integerMembers: new Set(['ts', 'rssi_dbm', 'spo2_scale']),
  reservedNames: RESERVED_NAMES,
  maxDepth: 3,
} as const;

function parseJson(body: Buffer): unknown {
  const text = decodeUtf8(body);
  if (text === null) throw new VigilError('VIGIL_ERR_BODY_SCHEMA', 'body is not UTF-8');
  try {
    return parseStrictJson(text, BODY_JSON);
  } catch (err) {
    if (err instanceof StrictJsonError) throw new VigilError('VIGIL_ERR_BODY_SCHEMA', err.message);
    throw err;
  }
}

// Built once per profile: zod compiles a schema on first use, which costs more than parsing.
const TELEMETRY_SCHEMAS = Object.fromEntries(
  Object.entries(SAMPLE_SCHEMAS).map(([profile, sample]) => [
    profile,
    z.strictObject({ samples: z.array(sample).min(1).max(MAX_SAMPLES) }),
  ]),
) as unknown as Record<ProfileName, z.ZodType<{ samples: Sample[] }>>;

export function parseTelemetryBody(profile: ProfileName, body: Buffer): Sample[] {
  const schema = Object.hasOwn(TELEMETRY_SCHEMAS, profile) ? TELEMETRY_SCHEMAS[profile] : undefined;
  if (!schema) throw new VigilError('VIGIL_ERR_BODY_SCHEMA', 'no telemetry schema for the profile');
  const r = schema.safeParse(parseJson(body));
  if (!r.success) throw bodyError(r.error);
  return r.data.samples as Sample[];
}

export function parseEventBody(body: Buffer): DeviceEventBody {
  const raw = parseJson(body);
  const type = (raw as { type?: unknown } | null)?.type;
  // Own properties only: `KNOWN_EVENTS["constructor"]` would be Object's constructor.
  const known =
    typeof type === 'string' && Object.hasOwn(KNOWN_EVENTS, type) ? KNOWN_EVENTS[type] : undefined;
  const r = (known ?? genericEvent).safeParse(raw);
  if (!r.success) throw bodyError(r.error);
  return r.data as DeviceEventBody;
}

export type CommandBody = z.infer<typeof commandSchema>;

export function parseCommandBody(body: Buffer): CommandBody {
  const r = commandSchema.safeParse(parseJson(body));
  if (!r.success) throw bodyError(r.error);
  return r.data;
}

export function parseAckBody(body: Buffer): z.infer<typeof ackSchema> {
  const r = ackSchema.safeParse(parseJson(body));
  if (!r.success) throw bodyError(r.error);
  return r.data;
}

/** Event types whose body carries a secret (the delivery token, DESIGN.md §5). */
const SECRET_EVENTS: ReadonlySet<string> = new Set(['dispatch']);

/**
 * docs/protocol.md §7.2: an event that carries a secret must arrive encrypted. From a device
 * provisioned with alg `none` its token crossed the network in clear, so it is refused.
 */
export function assertEventConfidential(ev: DeviceEventBody, alg: Alg): void {
  if (alg === 'none' && SECRET_EVENTS.has(ev.type))
    throw new VigilError('VIGIL_ERR_CLEARTEXT_SECRET', `${ev.type} event with alg none`);
}
