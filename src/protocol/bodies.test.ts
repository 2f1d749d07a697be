import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import {
  assertEventConfidential,
  commandSchema,
  LONG_COMMAND_ARGS,
  MAX_LONG_ARG_CHARS,
  MAX_SAMPLES,
  type ProfileName,
  parseAckBody,
  parseCommandBody,
  parseEventBody,
  parseTelemetryBody,
} from './bodies.ts';

const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
const TS = 1795305600000;
const ID = '0b6c2f4e-8f1a-4c3b-9d2e-1a2b3c4d5e6f';

/** The detail of the VIGIL_ERR_BODY_SCHEMA `fn` throws (any other outcome fails the test). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(
      isVigilError(err, 'VIGIL_ERR_BODY_SCHEMA'),
      `expected VIGIL_ERR_BODY_SCHEMA, got ${String(err)}`,
    );
    return err.detail ?? '';
  }
  assert.fail('accepted');
}

/** One field of a schema: values it takes and values it refuses (undefined = the field absent). */
type FieldCase = [field: string, ok: unknown[], bad: unknown[]];

const pct = (f: string, optional = false): FieldCase => [
  f,
  [0, 100, 37.5, ...(optional ? [undefined] : [])],
  [-0.01, 100.01, '50', null, ...(optional ? [] : [undefined])],
];
const range = (f: string, lo: number, hi: number): FieldCase => [
  f,
  [lo, hi],
  [lo - 0.01, hi + 0.01, `${lo}`, undefined],
];
const rssi: FieldCase = ['rssi_dbm', [-150, 0, -67, undefined], [-151, 1, '-60', null]];
const ts: FieldCase = ['ts', [0, TS, Number.MAX_SAFE_INTEGER], [-1, 2 ** 53, '1', null, undefined]];

const SAMPLES: Record<ProfileName, { base: Record<string, unknown>; fields: FieldCase[] }> = {
  'vaccine-transport': {
    base: { ts: TS, temp_c: 4.6, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains' },
    fields: [
      ts,
      range('temp_c', -100, 100),
      pct('rh_pct'),
      range('lat', -90, 90),
      range('lon', -180, 180),
      pct('bat_pct'),
      ['power', ['mains', 'battery', 'backup'], ['solar', 'Mains', '', undefined]],
      ['door', ['open', 'closed', undefined], ['ajar', true, null]],
      rssi,
    ],
  },
  'patient-vitals': {
    base: {
      ts: TS,
      hr_bpm: 72,
      spo2_pct: 97,
      rr_bpm: 14,
      sbp_mmhg: 120,
      temp_c: 36.8,
      on_oxygen: false,
      consciousness: 'A',
    },
    fields: [
      ts,
      range('hr_bpm', 0, 350),
      pct('spo2_pct'),
      range('rr_bpm', 0, 120),
      range('sbp_mmhg', 0, 350),
      range('temp_c', 20, 46),
      ['on_oxygen', [true, false], ['true', 0, null, undefined]],
      ['consciousness', ['A', 'C', 'V', 'P', 'U'], ['a', 'X', '', undefined]],
      ['spo2_scale', [1, 2, undefined], [0, 3, '1', null]],
      pct('bat_pct', true),
      rssi,
    ],
  },
  'temperature-probe': {
    base: { ts: TS, temp_c: 4 },
    fields: [
      ts,
      range('temp_c', -100, 100),
      pct('rh_pct', true),
      pct('bat_pct', true),
      ['power', ['mains', 'battery', 'backup', undefined], ['solar', null]],
      rssi,
    ],
  },
};

const telemetry = (profile: ProfileName, sample: Record<string, unknown>) =>
  parseTelemetryBody(profile, json({ samples: [sample] }));

describe('telemetry bodies (docs/protocol.md §7.1)', () => {
  for (const [profile, { base, fields }] of Object.entries(SAMPLES) as [
    ProfileName,
    (typeof SAMPLES)[ProfileName],
  ][]) {
    it(`${profile}: takes each field at its bounds and refuses it just outside, naming the field`, () => {
      assert.deepEqual(telemetry(profile, base), [base]);
      for (const [field, ok, bad] of fields) {
        for (const v of ok) {
          const sample = { ...base, [field]: v };
          assert.deepEqual(telemetry(profile, sample), [JSON.parse(JSON.stringify(sample))], `${field}=${v}`);
        }
        for (const v of bad) {
          const detail = refusal(() => telemetry(profile, { ...base, [field]: v }));
          assert.match(detail, new RegExp(`^samples\\.0\\.${field}: `), `${field}=${v}: ${detail}`);
        }
      }
    });

    it(`${profile}: refuses a field of another profile or an unknown one`, () => {
      const other = profile === 'patient-vitals' ? 'lat' : 'hr_bpm';
      for (const extra of [other, 'temp', 'extra']) {
        assert.match(
          refusal(() => telemetry(profile, { ...base, [extra]: 1 })),
          /^samples\.0: .*Unrecognized key/,
        );
      }
    });
  }

  it(`carries 1 to ${MAX_SAMPLES} samples`, () => {
    const s = SAMPLES['temperature-probe'].base;
    const many = (n: number) =>
      json({ samples: Array.from({ length: n }, (_, i) => ({ ...s, ts: TS + i })) });
    assert.equal(parseTelemetryBody('temperature-probe', many(1)).length, 1);
    assert.equal(parseTelemetryBody('temperature-probe', many(MAX_SAMPLES)).length, MAX_SAMPLES);
    assert.equal(MAX_SAMPLES, 200);
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', many(0))),
      /^samples: /,
    );
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', many(MAX_SAMPLES + 1))),
      /^samples: /,
    );
  });

  it('refuses a body that is not an object of samples, naming the root', () => {
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', json([]))),
      /^\(root\): /,
    );
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', json({}))),
      /^samples: /,
    );
    const extra = json({ samples: [SAMPLES['temperature-probe'].base], device: 'x' });
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', extra)),
      /^\(root\): .*Unrecognized key/,
    );
  });

  it('refuses a profile without a schema, including names every object has', () => {
    for (const p of ['generic', 'constructor', 'toString', '__proto__']) {
      const body = json({ samples: [{ ts: TS, temp_c: 4 }] });
      assert.equal(
        refusal(() => parseTelemetryBody(p as ProfileName, body)),
        'no telemetry schema for the profile',
      );
    }
  });

  it('refuses non-integer forms of ts, rssi_dbm and spo2_scale although their value is an integer', () => {
    const vitals =
      '"hr_bpm":72,"spo2_pct":97,"rr_bpm":14,"sbp_mmhg":120,"temp_c":36.8,"on_oxygen":false,"consciousness":"A"';
    for (const [member, text] of [
      ['ts', `"ts":${TS}.0`],
      ['rssi_dbm', `"ts":${TS},"rssi_dbm":-6e1`],
      ['spo2_scale', `"ts":${TS},"spo2_scale":1.0`],
    ]) {
      const body = Buffer.from(`{"samples":[{${text},${vitals}}]}`);
      assert.match(
        refusal(() => parseTelemetryBody('patient-vitals', body)),
        new RegExp(`member "${member}" must be a plain integer`),
      );
    }
    // Other numbers may have any JSON form.
    const ok = Buffer.from(`{"samples":[{"ts":${TS},"temp_c":4.0e0,"rh_pct":5E1}]}`);
    assert.deepEqual(parseTelemetryBody('temperature-probe', ok), [{ ts: TS, temp_c: 4, rh_pct: 50 }]);
  });

  it('refuses invalid UTF-8, malformed JSON, nesting deeper than 3 and reserved member names', () => {
    assert.equal(
      refusal(() => parseTelemetryBody('temperature-probe', Buffer.from([0x7b, 0xff, 0x7d]))),
      'body is not UTF-8',
    );
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', Buffer.from('{"samples":'))),
      /unexpected end/,
    );
    const deep = Buffer.from(`{"samples":[{"ts":${TS},"temp_c":4,"x":{}}]}`);
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', deep)),
      /nested deeper than 3/,
    );
    const proto = Buffer.from(`{"samples":[{"ts":${TS},"temp_c":4,"__proto__":1}]}`);
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', proto)),
      /reserved member name "__proto__"/,
    );
    const ctor = Buffer.from(`{"constructor":1,"samples":[]}`);
    assert.match(
      refusal(() => parseTelemetryBody('temperature-probe', ctor)),
      /reserved member name "constructor"/,
    );
  });
});

const EVENTS: Record<string, { base: Record<string, unknown>; fields: FieldCase[] }> = {
  dispatch: {
    base: { type: 'dispatch', batch: 'LOT-2026.11:A_1', token: 'abcDEF_-12' },
    fields: [
      ['batch', ['a', 'x'.repeat(64), 'A-Z.0_9:'], ['', 'x'.repeat(65), 'a b', 'a/b', 'é', undefined]],
      [
        'token',
        ['abcdef', 'x'.repeat(64), 'A-_z09'],
        ['abcde', 'x'.repeat(65), 'abc.def', 'abc=de', undefined],
      ],
      ['shipment', [undefined, 's', 'x'.repeat(128)], ['', 'x'.repeat(129), 5]],
      ['ts', [undefined, 0, TS], [-1, 2 ** 53, 'now']],
    ],
  },
  delivery: {
    base: { type: 'delivery' },
    fields: [
      ['batch', [undefined, 'b', 'x'.repeat(128)], ['', 'x'.repeat(129), 7]],
      ['ts', [undefined, 0], [-1]],
    ],
  },
  door: {
    base: { type: 'door', state: 'open' },
    fields: [['state', ['open', 'closed'], ['ajar', 'OPEN', undefined]]],
  },
  power: {
    base: { type: 'power', source: 'mains' },
    fields: [['source', ['mains', 'battery', 'backup'], ['solar', undefined]]],
  },
  battery_low: { base: { type: 'battery_low', bat_pct: 9 }, fields: [pct('bat_pct')] },
  csr: {
    base: { type: 'csr', csr: 'MIIB'.repeat(8) },
    fields: [
      [
        'csr',
        ['A'.repeat(16), 'A'.repeat(4096), 'a-_Z09'.repeat(3)],
        ['A'.repeat(15), 'A'.repeat(4097), `${'A'.repeat(16)}+/`, `${'A'.repeat(16)}==`, undefined],
      ],
    ],
  },
  cooling: {
    base: { type: 'cooling', state: 'failed' },
    fields: [['state', ['ok', 'failed', 'overcooling', 'restored'], ['warm', undefined]]],
  },
};

describe('event bodies (docs/protocol.md §7.2)', () => {
  for (const [type, { base, fields }] of Object.entries(EVENTS)) {
    it(`${type}: checked strictly, field by field`, () => {
      assert.deepEqual(parseEventBody(json(base)), base);
      for (const [field, ok, bad] of fields) {
        for (const v of ok) {
          const ev = JSON.parse(JSON.stringify({ ...base, [field]: v }));
          assert.deepEqual(parseEventBody(json(ev)), ev, `${field}=${v}`);
        }
        for (const v of bad) {
          assert.match(
            refusal(() => parseEventBody(json({ ...base, [field]: v }))),
            new RegExp(`^${field}: `),
            `${field}=${v}`,
          );
        }
      }
      // A known type takes no field of its own choosing (a generic event would).
      assert.match(
        refusal(() => parseEventBody(json({ ...base, note: 'x' }))),
        /^\(root\): .*Unrecognized key/,
      );
    });
  }

  it('takes other types as flat objects of short scalars', () => {
    const ev = { type: 'tamper', level: 3, ok: true, why: null, where: 'x'.repeat(256), ts: TS };
    assert.deepEqual(parseEventBody(json(ev)), ev);
    assert.deepEqual(parseEventBody(json({ type: 'x'.repeat(32), a: 1, ['k'.repeat(32)]: 2 })), {
      type: 'x'.repeat(32),
      a: 1,
      ['k'.repeat(32)]: 2,
    });
    for (const [bad, where] of [
      [{ type: 'tamper', where: 'x'.repeat(257) }, 'where'],
      [{ type: 'tamper', nested: [] }, 'nested'],
      [{ type: 'tamper', nested: {} }, 'nested'],
      [{ type: 'tamper', Level: 1 }, 'Level'],
      [{ type: 'tamper', level2: 1 }, 'level2'],
      [{ type: 'tamper', ['k'.repeat(33)]: 1 }, 'k'.repeat(33)],
      [{ type: 'tamper', '': 1 }, ''],
    ] as [Record<string, unknown>, string][]) {
      assert.match(
        refusal(() => parseEventBody(json(bad))),
        new RegExp(`^${where || '\\(root\\)'}: `),
        JSON.stringify(bad),
      );
    }
  });

  it('refuses a generic event without a valid type, or with a name every object has', () => {
    for (const bad of [
      {},
      { level: 1 },
      { type: 5 },
      { type: 't' },
      { type: 'x'.repeat(33) },
      { type: 'Tamper' },
      { type: 'tamper1' },
      { type: 'constructor' },
      { type: '__proto__' },
    ]) {
      assert.equal(
        refusal(() => parseEventBody(json(bad))),
        '(root): type required',
        JSON.stringify(bad),
      );
    }
  });

  it('refuses a generic event of more than 32 fields', () => {
    const name = (i: number) => `f_${String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26))}`;
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n - 1 }, (_, i) => [name(i), i]));
    assert.equal(Object.keys(parseEventBody(json({ type: 'wide', ...fields(32) }))).length, 32);
    assert.equal(
      refusal(() => parseEventBody(json({ type: 'wide', ...fields(33) }))),
      '(root): too many fields',
    );
  });

  it('refuses a generic event whose ts is not epoch milliseconds', () => {
    for (const t of [-1, 2 ** 53, 'now', true]) {
      assert.equal(
        refusal(() => parseEventBody(json({ type: 'tamper', ts: t }))),
        '(root): ts must be epoch milliseconds',
      );
    }
    assert.deepEqual(parseEventBody(json({ type: 'tamper', ts: 0 })), { type: 'tamper', ts: 0 });
  });

  it('refuses a body that is not an object', () => {
    for (const text of ['null', '[]', '"door"', '7'])
      assert.ok(refusal(() => parseEventBody(Buffer.from(text))));
  });

  it('refuses an event that carries a secret with alg none, and only that one', () => {
    const dispatch = parseEventBody(json(EVENTS.dispatch?.base));
    assert.throws(
      () => assertEventConfidential(dispatch, 'none'),
      (e) => isVigilError(e, 'VIGIL_ERR_CLEARTEXT_SECRET') && e.detail === 'dispatch event with alg none',
    );
    for (const alg of ['A256GCM', 'ASCON128'] as const)
      assert.doesNotThrow(() => assertEventConfidential(dispatch, alg));
    assert.doesNotThrow(() => assertEventConfidential(parseEventBody(json(EVENTS.door?.base)), 'none'));
  });
});

describe('ack bodies (docs/protocol.md §7.3)', () => {
  it('takes an id, a result flag, an optional error and an optional flat result', () => {
    const ack = { id: ID, ok: false, error: 'x'.repeat(256), result: { a: 1, b: 'x', c: null, d: true } };
    assert.deepEqual(parseAckBody(json(ack)), ack);
    assert.deepEqual(parseAckBody(json({ id: ID, ok: true })), { id: ID, ok: true });
  });

  it('refuses each field out of shape, naming it', () => {
    for (const [bad, where] of [
      [{ id: 'not-a-uuid', ok: true }, 'id'],
      [{ ok: true }, 'id'],
      [{ id: ID, ok: 'yes' }, 'ok'],
      [{ id: ID }, 'ok'],
      [{ id: ID, ok: true, error: 'x'.repeat(257) }, 'error'],
      [{ id: ID, ok: true, result: { a: {} } }, 'result.a'],
      [{ id: ID, ok: true, result: { a: 'x'.repeat(257) } }, 'result.a'],
      [{ id: ID, ok: true, extra: 1 }, '\\(root\\)'],
    ] as [Record<string, unknown>, string][]) {
      assert.match(
        refusal(() => parseAckBody(json(bad))),
        new RegExp(`^${where}: `),
        JSON.stringify(bad),
      );
    }
  });
});

describe('command bodies (docs/protocol.md §7.3)', () => {
  it('takes an id, an op and flat arguments, which default to none', () => {
    assert.deepEqual(parseCommandBody(json({ id: ID, op: 'identify' })), {
      id: ID,
      op: 'identify',
      args: {},
    });
    const c = { id: ID, op: 'x'.repeat(32), args: { a: 'x'.repeat(256), b: 2.5, c: false, d: null } };
    assert.deepEqual(parseCommandBody(json(c)), c);
  });

  it('refuses an op that is not 2 to 32 lowercase letters or underscores', () => {
    for (const op of ['a', 'x'.repeat(33), 'Reboot', 'set-interval', 'op1', 7]) {
      assert.match(
        refusal(() => parseCommandBody(json({ id: ID, op }))),
        /^op: /,
        String(op),
      );
    }
  });

  it('refuses arguments longer than 256 characters but the certificate or manifest of the ops that carry one', () => {
    assert.deepEqual({ ...LONG_COMMAND_ARGS }, { cert: 'cert', trust_bundle: 'bundle', ota: 'manifest' });
    assert.equal(MAX_LONG_ARG_CHARS, 8192);
    const long = 'A'.repeat(MAX_LONG_ARG_CHARS);
    assert.equal(parseCommandBody(json({ id: ID, op: 'cert', args: { cert: long } })).args.cert, long);
    assert.equal(
      parseCommandBody(json({ id: ID, op: 'trust_bundle', args: { bundle: long } })).args.bundle,
      long,
    );
    assert.equal(parseCommandBody(json({ id: ID, op: 'ota', args: { manifest: long } })).args.manifest, long);
    for (const [op, k, len] of [
      ['cert', 'cert', MAX_LONG_ARG_CHARS + 1],
      ['cert', 'bundle', 257],
      ['cert', 'note', 257],
      ['trust_bundle', 'cert', 257],
      ['ota', 'manifest', MAX_LONG_ARG_CHARS + 1],
      ['ota', 'cert', 257],
      ['identify', 'cert', 257],
      ['constructor', 'x', 257],
    ] as const) {
      const detail = refusal(() => parseCommandBody(json({ id: ID, op, args: { [k]: 'A'.repeat(len) } })));
      assert.match(detail, new RegExp(`^args\\.${k}: `), `${op} ${k} ${len}`);
      if (len === 257) assert.equal(detail, `args.${k}: string longer than 256 characters`);
      const issues = commandSchema.safeParse({ id: ID, op, args: { [k]: 'A'.repeat(len) } }).error?.issues;
      assert.equal(issues?.[0]?.code, len === 257 ? 'custom' : 'too_big');
    }
  });

  it('refuses arguments that are not flat scalars, and numbers that are not finite', () => {
    assert.match(
      refusal(() => parseCommandBody(json({ id: ID, op: 'set', args: { a: [] } }))),
      /^args\.a: /,
    );
    assert.match(
      refusal(() => parseCommandBody(json({ id: ID, op: 'set', args: [] }))),
      /^args: /,
    );
    assert.match(
      refusal(() => parseCommandBody(json({ id: ID, op: 'set', x: 1 }))),
      /^\(root\): /,
    );
    // JSON cannot say Infinity; the API builds commands as objects.
    for (const v of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      const r = commandSchema.safeParse({ id: ID, op: 'set', args: { rate: v, ok: 1 } });
      assert.deepEqual(
        r.error?.issues.map((i) => i.path.join('.')),
        ['args.rate'],
      );
    }
    assert.equal(commandSchema.safeParse({ id: ID, op: 'set', args: { rate: 1e308 } }).success, true);
  });
});
