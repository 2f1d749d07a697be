/**
 * Man in the middle at the message level: a relay on the device's path that holds the device's
 * TLS identity (a compromised gateway, DESIGN.md §2) but not its secret. It sees each envelope the
 * device's code sealed and may change, repeat or re-address it; end-to-end MAC, replay guard and
 * topic binding must stop every variant.
 */
import { randomBytes } from 'node:crypto';
import { Attacker, INGEST_REJECTIONS, serializeEnvelope, withAttacker } from '../attacker.ts';
import { connectDevice, endClient, publishOnce, topicOf } from '../mqtt-tools.ts';
import { QUICK_AND_FULL, refusedIf, type Scenario } from '../scenario.ts';

const relayFlip: Scenario = {
  id: 'mitm.relay-bitflip',
  family: 'mitm',
  title: 'A relay flipping one byte of each envelope it forwards',
  attacked:
    "integrity end to end: a relay with the device's TLS identity flips one random byte of 10 envelopes before forwarding them",
  expected:
    'each refused (MAC failure, or the schema when the byte breaks the JSON), counted; nothing stored',
  layers: ['hmac-replay'],
  properties: ['integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 90_000,
  run: (ctx) =>
    withAttacker(ctx, 'relay-flip', async (a) => {
      const evidence: string[] = [];
      const reasons: Record<string, number> = {};
      let ok = true;
      for (let i = 0; i < 10; i++) {
        const json = Buffer.from(serializeEnvelope(a.genuine()), 'utf8');
        const at = randomBytes(4).readUInt32BE(0) % json.length;
        // Any bit of the byte, never a no-op.
        json[at] = (json[at] ?? 0) ^ (1 << (randomBytes(1)[0]! % 8));
        const r = await a.judge(json);
        ok &&= r.refused;
        reasons[r.reason ?? 'not counted'] = (reasons[r.reason ?? 'not counted'] ?? 0) + 1;
        if (!r.refused) evidence.push(`byte ${at}: ${r.lines.join('; ')}`);
      }
      evidence.unshift(
        `10 envelopes, one byte flipped in each: ${Object.entries(reasons)
          .map(([k, v]) => `${v}x ${k}`)
          .join(', ')}`,
      );
      evidence.push(`readings stored for ${a.id}: ${await a.lab.target.ctx.store.countReadings(a.id)}`);
      return refusedIf(
        ok,
        ok ? 'every altered envelope refused and counted' : 'an altered envelope was stored or not counted',
        evidence,
      );
    }),
};

const relayReplay: Scenario = {
  id: 'mitm.relay-replay',
  family: 'mitm',
  title: 'A relay re-sending a captured envelope',
  attacked:
    'integrity and reliability: the relay forwards an envelope, keeps a copy and sends it again three times, also after newer envelopes',
  expected: 'each copy refused as replay; one row',
  layers: ['hmac-replay'],
  properties: ['integrity', 'reliability'],
  modes: QUICK_AND_FULL,
  timeoutMs: 60_000,
  run: (ctx) =>
    withAttacker(ctx, 'relay-replay', async (a) => {
      const captured = serializeEnvelope(a.genuine());
      const first = await a.judge(captured, { expect: [] });
      if (!first.stored) throw new Error('the original envelope was not stored');
      const evidence = ['original: stored'];
      let ok = true;
      for (let i = 0; i < 3; i++) {
        if (i === 2) await a.judge(serializeEnvelope(a.genuine()), { expect: [] });
        const r = await a.judge(captured, { expect: ['replay'] });
        ok &&= r.refused;
        evidence.push(
          `copy ${i + 1}${i === 2 ? ' (after a newer envelope)' : ''}: ${r.reason ?? 'NOT counted'}, ${r.stored ? 'STORED' : 'not stored'}`,
        );
      }
      return refusedIf(
        ok,
        ok ? 'all 3 copies refused as replay' : 'a copy was stored or not counted',
        evidence,
      );
    }),
};

const relayMove: Scenario = {
  id: 'mitm.relay-topic-move',
  family: 'mitm',
  title: "A relay moving an envelope to another device's topic",
  attacked:
    "integrity: device A's envelope published on device B's topic, with A's identity, with B's identity, and with dev rewritten to B",
  expected:
    "A's identity: connection closed (ACL); B's identity: refused as topic (dev is not the topic's id); dev rewritten: MAC failure. Nothing stored for B",
  layers: ['hmac-replay', 'broker-acl'],
  properties: ['integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 60_000,
  run: (ctx) =>
    withAttacker(ctx, 'move-a', async (a) => {
      const lab = a.lab;
      const b = await Attacker.open(lab, 'move-b');
      try {
        const bTopic = topicOf(b.bundle, 'telemetry');
        const evidence: string[] = [];
        // 1. A's identity on B's topic: the broker's ACL.
        const before = await lab.rejections();
        const conn = await connectDevice(lab.target.mqttUrl, a.bundle);
        const outcome = await publishOnce(conn, bTopic, serializeEnvelope(a.genuine()));
        await endClient(conn);
        const acl = await lab.counted(before, ['acl_publish']);
        const aclOk = outcome === 'closed' && acl.acl_publish !== undefined;
        evidence.push(
          `A's identity on B's topic: ${outcome === 'closed' ? 'connection closed, no PUBACK' : outcome}, ${acl.acl_publish ? 'counted acl_publish' : 'not counted'}`,
        );
        // 2. B's identity forwarding A's envelope unchanged.
        const moved = await b.judge(serializeEnvelope(a.genuine()), { expect: ['topic'] });
        evidence.push(
          `B's identity, A's envelope: ${moved.reason ?? 'NOT counted'}, ${moved.stored ? 'STORED' : 'not stored'}`,
        );
        // 3. dev rewritten to B (the MAC covers dev).
        const rewritten = serializeEnvelope(a.genuine()).replace(`"dev":"${a.id}"`, `"dev":"${b.id}"`);
        const dev = await b.judge(rewritten, { expect: INGEST_REJECTIONS });
        evidence.push(
          `dev rewritten to B: ${dev.reason ?? 'NOT counted'}, ${dev.stored ? 'STORED' : 'not stored'}`,
        );
        const rows = await lab.target.ctx.store.countReadings(b.id);
        evidence.push(`readings stored for B: ${rows}`);
        const ok = aclOk && moved.refused && dev.refused && rows === 0;
        return refusedIf(
          ok,
          ok ? 'all three re-addressed envelopes refused' : 'a moved envelope was stored or went uncounted',
          evidence,
        );
      } finally {
        await b.close();
      }
    }),
};

export const MITM_ENVELOPE_SCENARIOS: Scenario[] = [relayFlip, relayReplay, relayMove];
