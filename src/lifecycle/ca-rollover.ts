import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import type { Logger } from 'pino';
import type { CommandService } from '../commands/command-service.ts';
import {
  loadPreviousCa,
  previousCaPaths,
  ROLLOVER_META,
  type RolloverState,
  readRolloverState,
} from '../data-dir/ca-files.ts';
import { rebuildCrlOf, type VigilContext, writeFileAtomic } from '../data-dir/context.ts';
import { VigilError } from '../errors.ts';
import { certInfo, createCa, openCa, sealCa } from '../pki/index.ts';
import { normalizeSerial } from '../pki/serial.ts';
import type { CertRenewal } from './cert-renewal.ts';

/** What `vigil pki status` shows. */
export interface RolloverStatus {
  phase: RolloverState['phase'] | 'none';
  startedAt: number | null;
  currentCa: { serial: string; subject: string | null; notAfter: number };
  previousCa: { serial: string; subject: string | null; notAfter: number } | null;
  /** Enabled devices, those that acked the trust bundle, and by the root of their certificate. */
  devices: number;
  trustBundleAcked: number;
  onOldCa: number;
  onNewCa: number;
}

const BUNDLE_TTL_MS = 7 * 86_400_000;

function der(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64url');
}

/**
 * CA rollover (docs/protocol.md §13.3): `vigil pki rollover` makes a new root; the trust bundle
 * (new + old) goes to every device in a `trust_bundle` command while the server certificate still
 * comes from the old root; once every enabled device acked it, the server certificate is reissued
 * from the new root (hot swap) and every device certificate is renewed from it; when no enabled
 * device uses an old-root certificate any more, the old root is retired.
 */
export class CaRollover {
  readonly #ctx: VigilContext;
  readonly #commands: CommandService;
  readonly #renewal: CertRenewal;
  readonly #log: Logger;
  #seen: string | null | undefined;
  /** The trust anchors or CRLs changed (the broker takes the new set). */
  onTrustChanged: (() => Promise<void>) | undefined;
  /** Reissue the server certificate now (from the new root) and swap it on every listener. */
  renewServerCert: (() => Promise<unknown>) | undefined;

  constructor(ctx: VigilContext, commands: CommandService, renewal: CertRenewal, logger: Logger) {
    this.#ctx = ctx;
    this.#commands = commands;
    this.#renewal = renewal;
    this.#log = logger;
    commands.registerOp('trust_bundle', { internal: true });
  }

  /** `vigil pki rollover`: a new root, the old one kept as previous, bundles queued. */
  async start(actor: string): Promise<RolloverState> {
    const ctx = this.#ctx;
    const state = await readRolloverState(ctx.store);
    if (state && state.phase !== 'retired')
      throw new VigilError(
        'VIGIL_ERR_USAGE',
        `a CA rollover is in progress (${state.phase}); see vigil pki status`,
      );
    const old = ctx.ca;
    const prev = previousCaPaths(ctx.paths);
    // The old root first (its sealed key copied as is), then the new one.
    writeFileAtomic(prev.keySealed, readFileSync(ctx.paths.caKeySealed), 0o600);
    writeFileAtomic(prev.cert, old.certPem);
    const generation = (await ctx.store.listCertificates({ kind: 'ca' })).length + 1;
    const created = await createCa({
      now: new Date(ctx.clock()),
      validityDays: ctx.config.pki.caValidityDays,
      commonName: `Vigil Root CA G${generation}`,
    });
    const sealed = sealCa(ctx.master, created);
    writeFileAtomic(ctx.paths.caKeySealed, sealed.keyEnc, 0o600);
    writeFileAtomic(ctx.paths.caCert, created.certPem);
    const info = certInfo(created.certPem);
    await ctx.store.addCertificate({
      serial: normalizeSerial(created.serial),
      subject: info.subjectCn ?? `Vigil Root CA G${generation}`,
      kind: 'ca',
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      pem: created.certPem,
      revokedAt: null,
      revocationReason: null,
    });
    ctx.ca = { certPem: created.certPem, keyPkcs8Pem: created.keyPkcs8Pem };
    ctx.previousCa = old;
    const next: RolloverState = {
      phase: 'distributing',
      startedAt: ctx.clock(),
      startedBy: actor,
      oldCa: certSerial(old.certPem),
      newCa: certSerial(created.certPem),
    };
    await ctx.store.setMeta(ROLLOVER_META, JSON.stringify(next));
    this.#seen = JSON.stringify(next);
    await rebuildCrlOf(ctx, old);
    await ctx.store.appendAudit({
      ts: ctx.clock(),
      actor,
      action: 'pki.rollover_started',
      object: next.newCa,
      detail: { oldCa: next.oldCa, newCa: next.newCa },
    });
    for (const d of await ctx.store.listDevices()) if (d.status === 'enabled') await this.#sendBundle(d.id);
    await this.onTrustChanged?.();
    return next;
  }

  /** Picks up a rollover another process (the CLI) started or advanced. True when it changed. */
  async reload(): Promise<boolean> {
    const ctx = this.#ctx;
    const raw = await ctx.store.getMeta(ROLLOVER_META);
    if (raw === this.#seen) return false;
    const first = this.#seen === undefined;
    this.#seen = raw;
    if (first) return false;
    ctx.ca = openCa(ctx.master, {
      certPem: readFileSync(ctx.paths.caCert, 'utf8'),
      keyEnc: readFileSync(ctx.paths.caKeySealed),
    });
    ctx.previousCa = loadPreviousCa(ctx.paths, ctx.master);
    await this.onTrustChanged?.();
    return true;
  }

  async tick(): Promise<void> {
    await this.reload();
    const ctx = this.#ctx;
    const state = await readRolloverState(ctx.store);
    if (!state || state.phase === 'retired' || !ctx.previousCa) return;
    const devices = (await ctx.store.listDevices()).filter((d) => d.status === 'enabled');
    if (state.phase === 'distributing') {
      let acked = 0;
      for (const d of devices) {
        const bundles = (await this.#commands.history(d.id, 'trust_bundle')).filter(
          (c) => c.createdAt >= state.startedAt,
        );
        if (bundles.some((c) => c.state === 'acked' && c.outcome === 'ok')) acked++;
        else if (!bundles.some((c) => c.state === 'queued' || c.state === 'sent'))
          await this.#sendBundle(d.id);
      }
      if (acked < devices.length) return;
      await this.#setState({ ...state, phase: 'switched', switchedAt: ctx.clock() }, 'pki.rollover_switched');
      // Every device trusts the new root now: the server certificate comes from it.
      await this.renewServerCert?.();
      return;
    }
    const old = new X509Certificate(ctx.previousCa.certPem);
    let onOld = 0;
    let started = 0;
    for (const d of devices) {
      const cert = d.certSerial ? await ctx.store.getCertificate(normalizeSerial(d.certSerial)) : null;
      if (!cert || !new X509Certificate(cert.pem).checkIssued(old)) continue;
      onOld++;
      if (started >= 50 || (await this.#renewal.inProgress(d.id))) continue;
      try {
        await this.#renewal.renew(d.id, 'system', 'CA rollover');
        started++;
      } catch (err) {
        this.#log.warn({ err, device: d.id }, 'renewal for the CA rollover not started');
      }
    }
    if (onOld > 0) return;
    // No enabled device depends on the old root any more: retire it.
    const prev = previousCaPaths(ctx.paths);
    for (const f of [prev.keySealed, prev.cert]) if (existsSync(f)) unlinkSync(f);
    ctx.previousCa = null;
    await this.#setState({ ...state, phase: 'retired', retiredAt: ctx.clock() }, 'pki.rollover_retired');
    await rebuildCrlOf(ctx, null);
    await this.onTrustChanged?.();
  }

  async status(): Promise<RolloverStatus> {
    const ctx = this.#ctx;
    const state = await readRolloverState(ctx.store);
    const devices = (await ctx.store.listDevices()).filter((d) => d.status === 'enabled');
    const current = new X509Certificate(ctx.ca.certPem);
    let onOld = 0;
    let onNew = 0;
    let acked = 0;
    for (const d of devices) {
      const cert = d.certSerial ? await ctx.store.getCertificate(normalizeSerial(d.certSerial)) : null;
      if (cert && new X509Certificate(cert.pem).checkIssued(current)) onNew++;
      else onOld++;
      if (state && state.phase !== 'retired') {
        const bundles = await this.#commands.history(d.id, 'trust_bundle');
        if (bundles.some((c) => c.createdAt >= state.startedAt && c.state === 'acked' && c.outcome === 'ok'))
          acked++;
      }
    }
    const caInfo = (pem: string) => {
      const i = certInfo(pem);
      return { serial: certSerial(pem), subject: i.subjectCn ?? null, notAfter: i.notAfter };
    };
    return {
      phase: state?.phase ?? 'none',
      startedAt: state?.startedAt ?? null,
      currentCa: caInfo(ctx.ca.certPem),
      previousCa: ctx.previousCa ? caInfo(ctx.previousCa.certPem) : null,
      devices: devices.length,
      trustBundleAcked: acked,
      onOldCa: onOld,
      onNewCa: onNew,
    };
  }

  async #sendBundle(deviceId: string): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx.previousCa) return;
    try {
      await this.#commands.send({
        deviceId,
        op: 'trust_bundle',
        args: { bundle: `${der(ctx.ca.certPem)}.${der(ctx.previousCa.certPem)}` },
        ttlMs: BUNDLE_TTL_MS,
        actor: 'system',
        reason: 'CA rollover',
        internal: true,
      });
    } catch (err) {
      this.#log.warn({ err, device: deviceId }, 'trust bundle not queued');
    }
  }

  async #setState(next: RolloverState, action: string): Promise<void> {
    const ctx = this.#ctx;
    const raw = JSON.stringify(next);
    await ctx.store.setMeta(ROLLOVER_META, raw);
    this.#seen = raw;
    await ctx.store.appendAudit({
      ts: ctx.clock(),
      actor: 'system',
      action,
      object: next.newCa,
      detail: { oldCa: next.oldCa, newCa: next.newCa },
    });
  }
}

function certSerial(pem: string): string {
  return normalizeSerial(new X509Certificate(pem).serialNumber);
}
