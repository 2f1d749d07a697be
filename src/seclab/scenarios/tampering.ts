/**
 * Tampering and replay (docs/protocol.md §5, §6.2, §6.3): bit flips in every envelope field, alg
 * and kid confusion, replays inside and outside the window, nonce reuse, a clock in the future,
 * and a replay after the server restarted.
 */
import { randomBytes } from 'node:crypto';
import { sealEnvelope, serializeEnvelope } from '../../protocol/envelope.ts';
import { deriveDeviceKeys } from '../../protocol/keys.ts';
import { withAttacker } from '../attacker.ts';
import { sealFor, truckSample } from '../mqtt-tools.ts';
import { QUICK_AND_FULL, refusedIf, type Scenario } from '../scenario.ts';

const FIELDS = ['v', 'dev', 'seq', 'ts', 'kid', 'alg', 'n', 'b', 'mac'] as const;
type Field = (typeof FIELDS)[number];

/**
 * The serialized envelope with the low bit of one character of `field`'s value flipped (the
 * middle character; for numbers the last digit, so the text stays a number).
 */
export function flipBit(json: string, field: Field): string {
  const m = new RegExp(`"${field}":("([^"]*)"|(\\d+))`).exec(json);
  if (!m) throw new Error(`no field ${field}`);
  const valueStart = m.index + field.length + 3 + (m[2] !== undefined ? 1 : 0);
  const value = m[2] ?? m[3] ?? '';
  const at = valueStart + (m[3] !== undefined ? value.length - 1 : Math.floor(value.length / 2));
  const flipped = String.fromCharCode(json.charCodeAt(at) ^ 1);
  return json.slice(0, at) + flipped + json.slice(at + 1);
}

/** A setup message the attack builds on must have been stored, or the scenario proves nothing. */
function mustStore(r: { stored: boolean; lines: string[] }, what: string): void {
  if (!r.stored) throw new Error(`${what} was not stored: ${r.lines.join('; ')}`);
}

function bitflip(field: Field): Scenario {
  return {
    id: `tamper.bitflip-${field}`,
    family: 'tampering',
    title: `Bit flip in the envelope field "${field}"`,
    attacked: `integrity of a reading: one bit of "${field}" changed on the way (by a gateway or relay that holds the device's TLS identity but not its secret)`,
    expected:
      'refused before storage (schema, key or MAC check), counted by reason; the untouched envelope is then accepted',
    layers: ['hmac-replay'],
    properties: ['integrity'],
    modes: QUICK_AND_FULL,
    timeoutMs: 30_000,
    run: (ctx) =>
      withAttacker(ctx, `flip-${field}`, async (a) => {
        const seq = a.nextSeq();
        const json = serializeEnvelope(a.genuine({ seq }));
        const tampered = flipBit(json, field);
        const r = await a.judge(tampered);
        // Control: the envelope itself was valid, so the flip alone caused the refusal.
        const control = await a.judge(json, { expect: [] });
        const accepted = control.stored;
        const evidence = [
          ...r.lines,
          `control: the untouched envelope ${accepted ? 'was stored' : 'was NOT stored'}`,
        ];
        if (!accepted)
          return {
            verdict: 'error',
            observed: 'the control envelope was refused too',
            evidence: [...evidence, ...control.lines],
          };
        return refusedIf(
          r.refused,
          r.refused
            ? `refused as ${r.reason}, not stored`
            : 'the tampered envelope was stored or not counted',
          evidence,
        );
      }),
  };
}

const algConfusion: Scenario = {
  id: 'tamper.alg-confusion',
  family: 'tampering',
  title:
    'Algorithm confusion: alg "none" (body in clear) for an A256GCM device, and an A256GCM envelope relabelled ASCON128',
  attacked:
    'confidentiality and integrity: a holder of K_mac alone (a gateway) makes a valid-MAC "none" envelope to inject readings without the encryption key',
  expected: 'the "none" envelope is refused as alg_mismatch; the relabelled one fails the schema or the MAC',
  layers: ['hmac-replay', 'aead'],
  properties: ['integrity', 'confidentiality'],
  modes: QUICK_AND_FULL,
  timeoutMs: 30_000,
  run: (ctx) =>
    withAttacker(ctx, 'alg', async (a) => {
      const seq1 = a.nextSeq();
      const none = sealFor(a.bundle, 'telemetry', { samples: [truckSample()] }, { seq: seq1, alg: 'none' });
      const r1 = await a.judge(serializeEnvelope(none), { expect: ['alg_mismatch'] });
      const seq2 = a.nextSeq();
      const gcm = serializeEnvelope(a.genuine({ seq: seq2 }));
      const relabelled = gcm.replace('"alg":"A256GCM"', '"alg":"ASCON128"');
      const r2 = await a.judge(relabelled);
      return refusedIf(
        r1.refused && r2.refused,
        `"none": ${r1.reason ?? 'not counted'}; relabelled: ${r2.reason ?? 'not counted'}`,
        ['alg none with a valid MAC:', ...r1.lines, 'A256GCM relabelled ASCON128:', ...r2.lines],
      );
    }),
};

const kidConfusion: Scenario = {
  id: 'tamper.kid-confusion',
  family: 'tampering',
  title: "Key confusion: a key generation that does not exist, and another device's key",
  attacked:
    "integrity: readings sealed under a key the server would pick wrongly (kid 2 before any rotation; the secret of a device the attacker owns, with the victim's id)",
  expected: "unknown_kid for kid 2; mac_invalid for the other device's key",
  layers: ['hmac-replay'],
  properties: ['integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 30_000,
  run: (ctx) =>
    withAttacker(ctx, 'kid', async (a) => {
      const seq1 = a.nextSeq();
      const kid2 = sealFor(a.bundle, 'telemetry', { samples: [truckSample()] }, { seq: seq1, kid: 2 });
      const r1 = await a.judge(serializeEnvelope(kid2), { expect: ['unknown_kid'] });
      // The attacker's own device secret, the victim's id: a valid MAC under the wrong key.
      const own = await a.lab.device('kid-own');
      const seq2 = a.nextSeq();
      const forged = sealEnvelope({
        dev: a.id,
        channel: 'telemetry',
        seq: seq2,
        ts: Date.now(),
        kid: 1,
        alg: 'A256GCM',
        nonce: randomBytes(12),
        body: JSON.stringify({ samples: [truckSample()] }),
        keys: deriveDeviceKeys(Buffer.from(own.info.secret, 'base64url'), a.id),
      });
      const r2 = await a.judge(serializeEnvelope(forged), { expect: ['mac_invalid'] });
      return refusedIf(
        r1.refused && r2.refused,
        `kid 2: ${r1.reason ?? 'not counted'}; other device's key: ${r2.reason ?? 'not counted'}`,
        ['kid 2:', ...r1.lines, "another device's secret:", ...r2.lines],
      );
    }),
};

const replayInside: Scenario = {
  id: 'replay.inside-window',
  family: 'tampering',
  title: 'Replay of an accepted envelope inside the window',
  attacked: 'integrity and reliability: a captured reading sent again to be stored twice',
  expected: 'refused as replay, still one row',
  layers: ['hmac-replay'],
  properties: ['integrity', 'reliability'],
  modes: QUICK_AND_FULL,
  timeoutMs: 30_000,
  run: (ctx) =>
    withAttacker(ctx, 'replay-in', async (a) => {
      const seq = a.nextSeq();
      const json = serializeEnvelope(a.genuine({ seq }));
      mustStore(await a.judge(json, { expect: [] }), 'the genuine envelope');
      const r = await a.judge(json, { expect: ['replay'] });
      return refusedIf(
        r.refused,
        r.refused ? 'refused as replay; one row' : 'stored twice or not counted',
        r.lines,
      );
    }),
};

const replayOutside: Scenario = {
  id: 'replay.outside-window',
  family: 'tampering',
  title: 'A never-seen seq older than the replay window (1024 behind the highest)',
  attacked:
    'integrity: an old captured envelope whose seq fell out of the window, so it is not remembered individually',
  expected: 'refused as replay_too_old',
  layers: ['hmac-replay'],
  properties: ['integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 30_000,
  run: (ctx) =>
    withAttacker(ctx, 'replay-out', async (a) => {
      const old = a.nextSeq();
      const oldJson = serializeEnvelope(a.genuine({ seq: old }));
      const high = a.nextSeq(5000);
      mustStore(await a.judge(serializeEnvelope(a.genuine({ seq: high })), { expect: [] }), `seq ${high}`);
      const r = await a.judge(oldJson, { expect: ['replay_too_old'] });
      return refusedIf(r.refused, r.refused ? 'refused as replay_too_old' : 'stored or not counted', [
        `window slid to seq ${high}; seq ${old} sent afterwards`,
        ...r.lines,
      ]);
    }),
};

const nonceReuse: Scenario = {
  id: 'replay.nonce-reuse',
  family: 'tampering',
  title: 'Nonce reuse under a fresh seq',
  attacked:
    'confidentiality: two messages under one AES-GCM key and nonce leak the XOR of the plaintexts and the authentication key',
  expected: 'refused as nonce_reuse',
  layers: ['hmac-replay'],
  properties: ['confidentiality', 'integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 30_000,
  run: (ctx) =>
    withAttacker(ctx, 'nonce', async (a) => {
      const nonce = randomBytes(12);
      const s1 = a.nextSeq();
      mustStore(
        await a.judge(
          serializeEnvelope(sealFor(a.bundle, 'telemetry', { samples: [truckSample()] }, { seq: s1, nonce })),
          {
            expect: [],
          },
        ),
        'the first envelope',
      );
      const s2 = a.nextSeq();
      const r = await a.judge(
        serializeEnvelope(sealFor(a.bundle, 'telemetry', { samples: [truckSample()] }, { seq: s2, nonce })),
        { expect: ['nonce_reuse'] },
      );
      return refusedIf(r.refused, r.refused ? 'refused as nonce_reuse' : 'stored or not counted', r.lines);
    }),
};

const futureTs: Scenario = {
  id: 'replay.future-ts',
  family: 'tampering',
  title: 'An envelope dated one hour ahead',
  attacked: 'integrity: a reading pre-dated to fill a future gap or to hold back later ones',
  expected: 'refused as ts_future (more than 300 s ahead), its seq not used up',
  layers: ['hmac-replay'],
  properties: ['integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 30_000,
  run: (ctx) =>
    withAttacker(ctx, 'future', async (a) => {
      const seq = a.nextSeq();
      const ts = Date.now() + 3_600_000;
      const r = await a.judge(serializeEnvelope(a.genuine({ seq, ts })), { expect: ['ts_future'] });
      return refusedIf(r.refused, r.refused ? 'refused as ts_future' : 'stored or not counted', r.lines);
    }),
};

const replayAfterRestart: Scenario = {
  id: 'replay.after-restart',
  family: 'tampering',
  title: 'Replay after the server restarted',
  attacked:
    'integrity and reliability: a replay window kept only in memory would forget every seq at a restart',
  expected: 'refused as replay after the restart (the window is persisted with every commit)',
  layers: ['hmac-replay'],
  properties: ['integrity', 'reliability'],
  modes: QUICK_AND_FULL,
  restartsTarget: true,
  timeoutMs: 120_000,
  run: async (ctx) => {
    if (!ctx.lab.target.canRestart) {
      return {
        verdict: 'skipped',
        observed: 'not run: seclab restarts only the throwaway instance it started itself',
        evidence: ['run seclab without --data-dir to include this scenario'],
      };
    }
    return withAttacker(ctx, 'restart', async (a) => {
      const seq = a.nextSeq();
      const json = serializeEnvelope(a.genuine({ seq }));
      mustStore(await a.judge(json, { expect: [] }), 'the genuine envelope');
      await a.close();
      await ctx.lab.target.restart();
      await a.ensureConnected();
      const r = await a.judge(json, { expect: ['replay'] });
      return refusedIf(
        r.refused,
        r.refused ? 'refused as replay after the restart' : 'stored twice or not counted',
        ['server stopped (SIGTERM) and started again on the same data directory', ...r.lines],
      );
    });
  },
};

export const TAMPERING_SCENARIOS: Scenario[] = [
  ...FIELDS.map(bitflip),
  algConfusion,
  kidConfusion,
  replayInside,
  replayOutside,
  nonceReuse,
  futureTs,
  replayAfterRestart,
];
