import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CLAIM_CN_PREFIX, CLAIM_SERIAL_RE } from '../broker/acl.ts';
import type { ClaimBatch, ClaimRecord, ClaimStore } from '../claims/claim-store.ts';
import { trustBundlePem } from '../data-dir/ca-files.ts';
import type { VigilContext } from '../data-dir/context.ts';
import { checkDeviceId, registerDevice } from '../devices/device-service.ts';
import { VigilError } from '../errors.ts';
import { csrPublicKey } from '../pki/csr.ts';
import { issueClientCert } from '../pki/issue-client.ts';
import { toPem } from '../pki/pem.ts';
import { normalizeSerial } from '../pki/serial.ts';
import { DEVICE_PROFILES } from '../protocol/device-profile.ts';
import { p256Point, rotatedSecretFor } from '../protocol/rotation.ts';

/** A batch name: the claim certificate's CN is `claim-<name>`. */
export const BATCH_NAME_RE = /^[a-z0-9][a-z0-9-]{1,56}$/;
/** Largest claim message (bytes). */
const MAX_CLAIM_BYTES = 8192;
const MAX_FUTURE_MS = 300_000;

/** docs/protocol.md §14.2: the claim a device publishes on `{p}/claims/{serial}`. */
const claimBody = z.strictObject({
  v: z.literal(1),
  serial: z.string().regex(CLAIM_SERIAL_RE),
  batch: z.string().regex(BATCH_NAME_RE),
  profile: z.enum(DEVICE_PROFILES),
  csr: z.string().regex(/^[A-Za-z0-9_-]{16,4096}$/),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  ts: z.number().int().nonnegative(),
});

/** Where replies go: `{p}/claims/{serial}/reply`, QoS 1 (retained for a decision). */
export type ClaimReplyPublisher = (serial: string, payload: string, retain: boolean) => Promise<void>;

/**
 * Claim-based provisioning (docs/protocol.md §14). A device flashed with a shared claim
 * certificate publishes a claim (serial, profile, CSR); it waits as `pending` until an admin with
 * MFA approves it with a device id (or its serial is on `claims.autoApprove`); the device then
 * gets its own certificate (CN = device id) and derives its kid-1 secret by ECDH (§12.1 with
 * kid 1), so the secret never travels. Refusals, expired and used-up batches and replays are
 * audited and counted; unknown identities with valid TLS are quarantined with counts.
 */
export class ClaimService {
  readonly #ctx: VigilContext;
  readonly #claims: ClaimStore;
  readonly #log: Logger;
  /** Set by the process that runs the broker (or the external-broker link). */
  publishReply: ClaimReplyPublisher | undefined;
  /** A claim arrived, was decided, or an identity was quarantined (live feed, dashboard). */
  onChange: (() => void) | undefined;

  constructor(ctx: VigilContext, claims: ClaimStore, logger: Logger) {
    this.#ctx = ctx;
    this.#claims = claims;
    this.#log = logger;
  }

  /** `vigil claim-cert create --batch NAME --uses N --expires 30d`: a shared claim certificate. */
  async createBatch(o: { name: string; uses: number; expiresMs: number; actor: string }) {
    const ctx = this.#ctx;
    if (!BATCH_NAME_RE.test(o.name))
      throw new VigilError('VIGIL_ERR_USAGE', `--batch must match ${BATCH_NAME_RE.source}`);
    if (!Number.isSafeInteger(o.uses) || o.uses < 1 || o.uses > 1_000_000)
      throw new VigilError('VIGIL_ERR_USAGE', '--uses must be 1..1000000');
    if (!(o.expiresMs >= 60_000 && o.expiresMs <= 3650 * 86_400_000))
      throw new VigilError('VIGIL_ERR_USAGE', '--expires must be between 1 minute and 10 years');
    if (await this.#claims.getBatch(o.name))
      throw new VigilError('VIGIL_ERR_CLAIM_STATE', `batch ${o.name} exists`);
    const now = ctx.clock();
    const validityDays = Math.max(1, Math.ceil(o.expiresMs / 86_400_000));
    const cert = await issueClientCert({
      ca: ctx.ca,
      commonName: `${CLAIM_CN_PREFIX}${o.name}`,
      kind: 'claim',
      validityDays,
      now: new Date(now),
    });
    const batch: ClaimBatch = {
      name: o.name,
      certSerial: normalizeSerial(cert.serial),
      certPem: cert.certPem,
      maxUses: o.uses,
      uses: 0,
      expiresAt: now + o.expiresMs,
      createdAt: now,
      createdBy: o.actor,
      revokedAt: null,
    };
    await this.#claims.addBatch(batch);
    await ctx.store.appendAudit({
      ts: now,
      actor: o.actor,
      action: 'claim.batch_created',
      object: o.name,
      detail: { uses: o.uses, expiresAt: new Date(batch.expiresAt).toISOString(), serial: batch.certSerial },
    });
    return {
      batch,
      certPem: cert.certPem,
      keyPem: cert.keyPkcs8Pem ?? '',
      caPem: trustBundlePem(ctx.ca, ctx.previousCa),
    };
  }

  /** The broker identity of a claim certificate (by its serial), or null. */
  async identityOf(
    cn: string,
    certSerial: string,
  ): Promise<{ kind: 'claim'; name: string; serial: string } | null> {
    if (!cn.startsWith(CLAIM_CN_PREFIX)) return null;
    const b = await this.#claims.batchBySerial(normalizeSerial(certSerial));
    if (!b || `${CLAIM_CN_PREFIX}${b.name}` !== cn) return null;
    // Expired or used-up batches may still connect: their claims are refused and audited.
    return b.revokedAt === null ? { kind: 'claim', name: cn, serial: '' } : null;
  }

  /**
   * A claim from a claim-certificate connection bound to `serial`. `batchCn` is the certificate's
   * CN when the broker knows it (embedded); through an external broker, whose ACL admits only claim
   * certificates to the claims topics, the batch named in the claim counts. Never throws on bad input.
   */
  async onClaim(c: { batchCn?: string; serial: string; payload: Buffer; address: string }): Promise<void> {
    const ctx = this.#ctx;
    const now = ctx.clock();
    let batchName = c.batchCn?.slice(CLAIM_CN_PREFIX.length) ?? '?';
    const refuse = async (reason: string, extra: Record<string, unknown> = {}) => {
      await ctx.store.addCounters({ [`claims.refused.${reason}`]: 1 });
      await ctx.store.appendAudit({
        ts: now,
        actor: `claim:${c.serial}`,
        action: 'claim.refused',
        object: c.serial,
        detail: { reason, batch: batchName, address: c.address, ...extra },
      });
      this.#log.warn({ serial: c.serial, batch: batchName, reason }, 'claim refused');
      this.onChange?.();
    };
    if (c.payload.length > MAX_CLAIM_BYTES) return refuse('too_large');
    let body: z.infer<typeof claimBody>;
    try {
      const r = claimBody.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(c.payload)));
      if (!r.success) return refuse('schema');
      body = r.data;
    } catch {
      return refuse('schema');
    }
    if (body.serial !== c.serial) return refuse('serial_mismatch');
    if (c.batchCn === undefined) batchName = body.batch;
    else if (body.batch !== batchName) return refuse('batch_mismatch');
    if (body.ts > now + MAX_FUTURE_MS) return refuse('ts_future');
    let keyFp: string;
    try {
      const key = await csrPublicKey(toPem(Buffer.from(body.csr, 'base64url'), 'CERTIFICATE REQUEST'));
      keyFp = createHash('sha256').update(Buffer.from(key.rawData)).digest('hex');
    } catch {
      return refuse('csr_invalid');
    }
    const existing = await this.#claims.getClaim(body.serial);
    if (existing) {
      if (existing.keyFp !== keyFp) return refuse('duplicate_serial');
      // The device asking again (fresh nonce): answer with what is decided; no new use.
      if ((await this.#claims.touchClaim(body.serial, body.nonce, now, c.address)) === 'replay')
        return refuse('replay');
      if (existing.reply) await this.publishReply?.(body.serial, existing.reply, true);
      else await this.#sendPending(body.serial);
      return;
    }
    const record: ClaimRecord = {
      serial: body.serial,
      batch: batchName,
      profile: body.profile,
      csr: body.csr,
      keyFp,
      state: 'pending',
      deviceId: null,
      reply: null,
      attempts: 1,
      receivedAt: now,
      lastSeenAt: now,
      address: c.address,
      decidedAt: null,
      decidedBy: null,
    };
    const admitted = await this.#claims.admitClaim(record, body.nonce, now);
    if (admitted !== 'stored') return refuse(admitted);
    await ctx.store.addCounters({ 'claims.received': 1 });
    await ctx.store.appendAudit({
      ts: now,
      actor: `claim:${body.serial}`,
      action: 'claim.received',
      object: body.serial,
      detail: { batch: batchName, profile: body.profile, address: c.address },
    });
    this.onChange?.();
    const auto = this.#autoDeviceId(body.serial);
    if (auto) {
      await this.approve(body.serial, auto, 'system');
      return;
    }
    await this.#sendPending(body.serial);
  }

  /** Approves a pending claim as device `deviceId` (admin with MFA, or the allow-list). */
  async approve(serial: string, deviceId: string, actor: string): Promise<ClaimRecord> {
    const ctx = this.#ctx;
    checkDeviceId(deviceId);
    const claim = await this.#claims.getClaim(serial);
    if (!claim) throw new VigilError('VIGIL_ERR_NOT_FOUND', `claim ${serial}`);
    if (claim.state !== 'pending') throw new VigilError('VIGIL_ERR_CLAIM_STATE', `claim is ${claim.state}`);
    if (await ctx.store.getDevice(deviceId)) throw new VigilError('VIGIL_ERR_DEVICE_EXISTS', deviceId);
    const now = ctx.clock();
    const csrPem = toPem(Buffer.from(claim.csr, 'base64url'), 'CERTIFICATE REQUEST');
    const cert = await issueClientCert({
      ca: ctx.ca,
      commonName: deviceId,
      kind: 'device',
      validityDays: ctx.config.pki.deviceValidityDays,
      now: new Date(now),
      csrPem,
    });
    // kid 1 by ECDH with the key in the CSR (§12.1 with kid = 1): the secret never travels.
    const eph = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const point = p256Point(eph.publicKey);
    const secret = rotatedSecretFor(
      eph.privateKey,
      new X509Certificate(cert.certPem).publicKey,
      deviceId,
      1,
      point,
    );
    const profile = claim.profile as (typeof DEVICE_PROFILES)[number];
    const alg = 'A256GCM';
    await registerDevice(ctx, { id: deviceId, profile, alg, cert, secret, now });
    secret.fill(0);
    const der = (pem: string) => new X509Certificate(pem).raw.toString('base64url');
    const anchors = trustBundlePem(ctx.ca, ctx.previousCa)
      .split(/(?=-----BEGIN CERTIFICATE-----)/)
      .filter((p) => p.includes('BEGIN CERTIFICATE'))
      .map(der)
      .join('.');
    const reply = JSON.stringify({
      v: 1,
      serial,
      status: 'approved',
      device_id: deviceId,
      kid: 1,
      epk: point.toString('base64url'),
      alg,
      cert: der(cert.certPem),
      ca: anchors,
      topic_prefix: ctx.config.mqtt.topicPrefix,
    });
    const decided = await this.#claims.decideClaim(serial, {
      state: 'approved',
      deviceId,
      reply,
      at: now,
      by: actor,
    });
    if (!decided) throw new VigilError('VIGIL_ERR_CLAIM_STATE', 'claim was decided meanwhile');
    await ctx.store.addCounters({ 'claims.approved': 1 });
    await ctx.store.appendAudit({
      ts: now,
      actor,
      action: 'claim.approved',
      object: serial,
      detail: { deviceId, batch: claim.batch, profile, certSerial: cert.serial },
    });
    await this.publishReply?.(serial, reply, true);
    this.onChange?.();
    return decided;
  }

  /** Refuses a pending claim (audited); the device is told. */
  async reject(serial: string, actor: string, reason?: string): Promise<ClaimRecord> {
    const ctx = this.#ctx;
    const reply = JSON.stringify({ v: 1, serial, status: 'refused' });
    const decided = await this.#claims.decideClaim(serial, {
      state: 'refused',
      deviceId: null,
      reply,
      at: ctx.clock(),
      by: actor,
    });
    if (!decided) {
      const c = await this.#claims.getClaim(serial);
      throw c
        ? new VigilError('VIGIL_ERR_CLAIM_STATE', `claim is ${c.state}`)
        : new VigilError('VIGIL_ERR_NOT_FOUND', `claim ${serial}`);
    }
    await ctx.store.appendAudit({
      ts: ctx.clock(),
      actor,
      action: 'claim.rejected',
      object: serial,
      detail: { batch: decided.batch, ...(reason ? { reason } : {}) },
    });
    await this.publishReply?.(serial, reply, true);
    this.onChange?.();
    return decided;
  }

  /** An identity the CA signed but Vigil does not know (valid TLS, unknown id): counted, listed. */
  async quarantine(cn: string, certSerial: string, address: string | null): Promise<void> {
    const ctx = this.#ctx;
    await this.#claims.quarantine(cn, normalizeSerial(certSerial), ctx.clock(), address);
    await ctx.store.addCounters({ 'claims.quarantined': 1 });
    this.onChange?.();
  }

  async #sendPending(serial: string): Promise<void> {
    await this.publishReply?.(serial, JSON.stringify({ v: 1, serial, status: 'pending' }), false);
  }

  /** The device id for an allow-listed serial (`claims.autoApprove`), or null. */
  #autoDeviceId(serial: string): string | null {
    const list = this.#ctx.config.claims.autoApprove;
    const hit = list.some((p) => (p.endsWith('*') ? serial.startsWith(p.slice(0, -1)) : p === serial));
    if (!hit) return null;
    const id = serial.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    return /^[a-z0-9][a-z0-9-]{2,63}$/.test(id) ? id : null;
  }
}
