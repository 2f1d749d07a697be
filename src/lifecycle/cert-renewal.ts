import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { CommandService } from '../commands/command-service.ts';
import type { CommandRecord } from '../commands/command-store.ts';
import { VigilError } from '../errors.ts';
import { issueClientCert } from '../pki/issue-client.ts';
import { toPem } from '../pki/pem.ts';
import { normalizeSerial } from '../pki/serial.ts';
import type { CaMaterial } from '../pki/types.ts';
import { x509 } from '../pki/x509.ts';
import type { CertificateRecord, DeviceRecord, Store } from '../storage/store.ts';

export interface CertRenewalOptions {
  store: Store;
  /** The CA that signs new device certificates (after a rollover, the new one). */
  issuingCa: () => CaMaterial;
  clock: () => number;
  logger: Logger;
  /** `pki.deviceValidityDays`, `pki.renewBeforeDays`, `pki.renewGraceDays`. */
  validityDays: number;
  renewBeforeMs: number;
  graceMs: number;
  /** A certificate was revoked: rebuild the CRL and apply it to the broker. */
  onRevoked?: () => Promise<void>;
  count?: (name: string) => void;
}

/**
 * Device certificate renewal from device-generated keys (docs/protocol.md §13): `renew_cert`
 * (by hand or when fewer than `renewBeforeMs` remain) → the device's `csr` event → checks →
 * `cert` command → the device reconnects with it → the old certificate is revoked once the new
 * one was used, or after `graceMs`.
 */
export class CertRenewal {
  readonly #o: CertRenewalOptions;
  #commands: CommandService | undefined;

  constructor(o: CertRenewalOptions) {
    this.#o = o;
  }

  attach(commands: CommandService): void {
    this.#commands = commands;
    commands.registerOp('renew_cert', {
      prepare: async (ctx, args) => {
        const device = await this.#o.store.getDevice(ctx.deviceId);
        if (device) await this.#currentCert(device);
        return args;
      },
    });
    commands.registerOp('cert', { internal: true });
  }

  /** Asks the device for a CSR (`renew_cert`). */
  renew(deviceId: string, actor: string, reason?: string): Promise<CommandRecord> {
    if (!this.#commands) throw new Error('certificate renewal is not attached to a command service');
    return this.#commands.send({ deviceId, op: 'renew_cert', actor, reason });
  }

  /**
   * A `csr` event from the device (already authenticated by its MAC): checks CN = device id,
   * key type, device enabled and not revoked, current certificate valid; issues and sends the
   * certificate. A refusal is audited and counted, never thrown at ingest.
   */
  async onCsr(deviceId: string, csrB64u: string): Promise<CertificateRecord | null> {
    const { store, clock } = this.#o;
    try {
      const device = await store.getDevice(deviceId);
      if (!device) throw new VigilError('VIGIL_ERR_CSR_INVALID', 'unknown device');
      if (device.status !== 'enabled')
        throw new VigilError('VIGIL_ERR_CSR_INVALID', `device is ${device.status}`);
      await this.#currentCert(device);
      const csrPem = toPem(Buffer.from(csrB64u, 'base64url'), 'CERTIFICATE REQUEST');
      let cn: string | undefined;
      try {
        cn = new x509.Pkcs10CertificateRequest(csrPem).subjectName.getField('CN')[0];
      } catch {
        throw new VigilError('VIGIL_ERR_CSR_INVALID', 'CSR cannot be parsed');
      }
      if (cn !== deviceId)
        throw new VigilError(
          'VIGIL_ERR_CSR_INVALID',
          `CSR CN ${JSON.stringify(String(cn).slice(0, 64))} is not the device id`,
        );
      let issued: Awaited<ReturnType<typeof issueClientCert>>;
      try {
        issued = await issueClientCert({
          ca: this.#o.issuingCa(),
          commonName: deviceId,
          kind: 'device',
          validityDays: this.#o.validityDays,
          now: new Date(clock()),
          csrPem,
        });
      } catch (err) {
        // Bad self-signature, not P-256: csrPublicKey's precise reason.
        throw new VigilError('VIGIL_ERR_CSR_INVALID', (err as Error).message.slice(0, 200));
      }
      const rec: CertificateRecord = {
        serial: normalizeSerial(issued.serial),
        subject: deviceId,
        kind: 'device',
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        pem: issued.certPem,
        revokedAt: null,
        revocationReason: null,
      };
      // A renewal issued earlier and never used is superseded by this one.
      for (const c of await this.#unused(device))
        await store.revokeCertificate(c.serial, clock(), 'superseded');
      await store.addCertificate(rec);
      await store.appendAudit({
        ts: clock(),
        actor: `device:${deviceId}`,
        action: 'cert.renewal_issued',
        object: deviceId,
        detail: {
          serial: rec.serial,
          replaces: device.certSerial,
          notAfter: new Date(rec.notAfter).toISOString(),
        },
      });
      this.#o.count?.('cert_renewals_issued');
      const der = new X509Certificate(issued.certPem).raw.toString('base64url');
      await this.#commands?.send({
        deviceId,
        op: 'cert',
        args: { cert: der },
        actor: 'system',
        internal: true,
        reason: 'certificate renewal',
      });
      return rec;
    } catch (err) {
      const code = err instanceof VigilError ? err.code : 'VIGIL_ERR_INTERNAL';
      const why = err instanceof VigilError ? (err.detail ?? err.message) : String(err);
      this.#o.count?.('cert_renewals_refused');
      await store.appendAudit({
        ts: clock(),
        actor: `device:${deviceId}`,
        action: 'cert.csr_refused',
        object: deviceId,
        detail: { code, reason: why },
      });
      this.#o.logger.warn({ device: deviceId, code, reason: why }, 'CSR refused');
      return null;
    }
  }

  /**
   * The device connected with certificate `serial`. When it is a renewal's new certificate, it
   * becomes the device's certificate and the old one is revoked. Returns true when it switched.
   */
  async onCertificateUsed(deviceId: string, serial: string): Promise<boolean> {
    const device = await this.#o.store.getDevice(deviceId);
    if (!device || device.certSerial === null) return false;
    const s = normalizeSerial(serial);
    if (normalizeSerial(device.certSerial) === s) return false;
    const cert = await this.#o.store.getCertificate(s);
    if (!cert || cert.subject !== deviceId || cert.kind !== 'device' || cert.revokedAt !== null) return false;
    await this.#switch(device, cert, 'new certificate used');
    return true;
  }

  /** Grace ends (old certificate revoked anyway) and automatic renewals. */
  async tick(): Promise<void> {
    const { store, clock } = this.#o;
    const now = clock();
    const devices = (await store.listDevices()).filter(
      (d) => d.status === 'enabled' && d.certSerial !== null,
    );
    let started = 0;
    const cap = Math.max(1, Math.ceil(devices.length / 100));
    for (const d of devices) {
      const unused = await this.#unused(d);
      const newest = unused.at(-1);
      if (newest && now - newest.notBefore >= this.#o.graceMs) {
        await this.#switch(d, newest, 'grace period ended');
        continue;
      }
      if (newest || started >= cap || d.certNotAfter === null) continue;
      if (d.certNotAfter - now > this.#o.renewBeforeMs || d.certNotAfter <= now) continue;
      if (await this.inProgress(d.id)) continue;
      try {
        await this.renew(d.id, 'system', 'scheduled (pki.renewBeforeDays)');
        started++;
      } catch (err) {
        this.#o.logger.warn({ err, device: d.id }, 'automatic renewal not started');
      }
    }
  }

  /**
   * True while a renewal of the device is under way: `renew_cert` or `cert` pending, a CSR
   * awaited (renew_cert acked less than 10 minutes ago, no certificate since), or a new
   * certificate issued and not used yet.
   */
  async inProgress(deviceId: string): Promise<boolean> {
    const commands = this.#commands;
    if (!commands) return false;
    if ((await commands.pending(deviceId)).some((x) => x.op === 'renew_cert' || x.op === 'cert')) return true;
    const [lastRenew] = await commands.history(deviceId, 'renew_cert');
    const [lastCert] = await commands.history(deviceId, 'cert');
    if (
      lastRenew?.state === 'acked' &&
      lastRenew.outcome === 'ok' &&
      this.#o.clock() - (lastRenew.ackedAt ?? 0) < 10 * 60_000 &&
      (!lastCert || lastCert.createdAt < lastRenew.createdAt)
    )
      return true;
    const device = await this.#o.store.getDevice(deviceId);
    return device ? (await this.#unused(device)).length > 0 : false;
  }

  async #switch(device: DeviceRecord, cert: CertificateRecord, why: string): Promise<void> {
    const { store, clock } = this.#o;
    const now = clock();
    const old = device.certSerial;
    await store.setDeviceCert(device.id, cert.serial, cert.notAfter, now);
    if (old) {
      const oldCert = await store.getCertificate(normalizeSerial(old));
      if (oldCert && oldCert.revokedAt === null)
        await store.revokeCertificate(oldCert.serial, now, 'superseded');
    }
    await store.appendAudit({
      ts: now,
      actor: 'system',
      action: 'cert.renewal_completed',
      object: device.id,
      detail: { serial: cert.serial, revoked: old, why },
    });
    this.#o.count?.('cert_renewals_completed');
    await this.#o.onRevoked?.();
  }

  /** Certificates issued to the device after its current one, not revoked: renewals not yet used. */
  async #unused(device: DeviceRecord): Promise<CertificateRecord[]> {
    const current = device.certSerial
      ? await this.#o.store.getCertificate(normalizeSerial(device.certSerial))
      : null;
    const since = current?.notBefore ?? 0;
    return (await this.#o.store.listCertificates({ subject: device.id, kind: 'device' }))
      .filter((c) => c.revokedAt === null && c.serial !== current?.serial && c.notBefore >= since)
      .sort((a, b) => a.notBefore - b.notBefore);
  }

  /** The device's current certificate; an expired or revoked one cannot renew itself. */
  async #currentCert(device: DeviceRecord): Promise<CertificateRecord> {
    const cert = device.certSerial
      ? await this.#o.store.getCertificate(normalizeSerial(device.certSerial))
      : null;
    if (!cert || cert.revokedAt !== null)
      throw new VigilError('VIGIL_ERR_DEVICE_STATE', 'no valid certificate: re-provision the device');
    if (cert.notAfter <= this.#o.clock())
      throw new VigilError(
        'VIGIL_ERR_DEVICE_STATE',
        'certificate expired: it cannot renew itself; re-provision the device',
      );
    return cert;
  }
}
