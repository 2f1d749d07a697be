import { createPrivateKey, createPublicKey } from 'node:crypto';
import { toPem } from '../pki/pem.ts';
import { EC_P256, ECDSA_SHA256, subtle, type WebCryptoKeyPair, x509 } from '../pki/x509.ts';
import type { CommandBody } from '../protocol/bodies.ts';
import { checkOutput } from '../protocol/device-outputs.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { p256PublicKeyFromPoint, rotatedSecretFor } from '../protocol/rotation.ts';
import type { DownlinkRefusal, DownlinkResult } from './downlink.ts';
import type { SimFirmware } from './sim-firmware.ts';

type Scalar = string | number | boolean | null;

/** What an op does to the device: the ack to send, and what to do once the ack is out. */
export type OpOutcome =
  | { ok: true; result?: Record<string, Scalar>; after?: () => void }
  | { ok: false; error: string };

/** The device capabilities the ops use (implemented by SimDevice). */
export interface OpsDevice {
  readonly id: string;
  intervalMs: number;
  limits: { minC: number; maxC: number } | null;
  identifyCount: number;
  /** The certificate's private key (PKCS#8 PEM), which never leaves the device. */
  certificateKeyPem(): string;
  /** Keeps a new key generation (persisted); `activate` switches new messages to it. */
  installKid(kid: number, secret: Buffer): { activate: () => void };
  /** Sends an event on the uplink. */
  sendEvent(body: Record<string, unknown>): void;
  /** A renewal key waiting for its certificate (PKCS#8 PEM), persisted. */
  pendingKey: string | null;
  setPendingKey(pem: string | null): void;
  /** Stores a new certificate and its key, then reconnects with them. */
  installCertificate(certPem: string, keyPem: string): { activate: () => void };
  /** Replaces the trust anchors (PEM bundle) used from the next connection on. */
  installTrustBundle(pem: string): void;
  /** Drops the connection and connects again after `ms` (a reboot). */
  restart(ms: number): void;
  /** Firmware slots and the OTA duties (docs/protocol.md §7.5). */
  readonly firmware: SimFirmware;
  readonly profile: DeviceProfile;
  /** Output states (LED level, buzzer, relay) as applied. */
  readonly outputs: Record<string, number | boolean>;
}

/** One op of protocol §7.4: checks its args and acts. */
export type SimOp = (dev: OpsDevice, args: Record<string, Scalar>) => Promise<OpOutcome>;

const bad = (error: string): OpOutcome => ({ ok: false, error });
const num = (v: Scalar | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

function pemFromB64u(b64u: string, label: string): string {
  return toPem(Buffer.from(b64u, 'base64url'), label);
}

/**
 * The ops the simulator implements (docs/protocol.md §7.4). An op not listed is answered
 * `ok:false` ("unsupported op").
 */
export const SIM_OPS: Record<string, SimOp> = {
  async set_interval(dev, args) {
    const s = args.seconds;
    if (!num(s) || !Number.isInteger(s) || s < 1 || s > 86_400)
      return bad('seconds must be an integer 1..86400');
    dev.intervalMs = s * 1000;
    return { ok: true, result: { seconds: s } };
  },
  async set_limits(dev, args) {
    const { min_c: min, max_c: max } = args;
    if (!num(min) || !num(max) || min >= max || min < -100 || max > 100)
      return bad('min_c and max_c must be numbers, -100 <= min_c < max_c <= 100');
    dev.limits = { minC: min, maxC: max };
    return { ok: true };
  },
  async identify(dev) {
    dev.identifyCount++;
    return { ok: true, result: { blinks: 10 } };
  },
  async reboot(dev) {
    return { ok: true, after: () => dev.restart(500) };
  },
  async rotate_key(dev, args) {
    // §12.3: new secret from the certificate key and the server's ephemeral point.
    const { kid, epk } = args;
    if (!num(kid) || !Number.isSafeInteger(kid) || kid < 2) return bad('kid must be an integer >= 2');
    if (typeof epk !== 'string' || !/^[A-Za-z0-9_-]{87}$/.test(epk))
      return bad('epk must be a 65-byte point');
    let secret: Buffer;
    try {
      const point = Buffer.from(epk, 'base64url');
      secret = rotatedSecretFor(
        createPrivateKey(dev.certificateKeyPem()),
        p256PublicKeyFromPoint(point),
        dev.id,
        kid,
        point,
      );
    } catch {
      return bad('epk is not a P-256 point');
    }
    const installed = dev.installKid(kid, secret);
    // The ack goes out under the old kid; every message after it uses the new one.
    return { ok: true, result: { kid }, after: installed.activate };
  },
  async renew_cert(dev) {
    // §13: a fresh P-256 key made on the device; only its CSR leaves.
    const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as WebCryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=${dev.id}`,
      keys,
      signingAlgorithm: ECDSA_SHA256,
    });
    const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
    dev.setPendingKey(toPem(pkcs8, 'PRIVATE KEY'));
    return {
      ok: true,
      after: () => dev.sendEvent({ type: 'csr', csr: Buffer.from(csr.rawData).toString('base64url') }),
    };
  },
  async cert(dev, args) {
    const pending = dev.pendingKey;
    if (!pending) return bad('no renewal in progress');
    if (typeof args.cert !== 'string') return bad('cert missing');
    let certPem: string;
    try {
      certPem = pemFromB64u(args.cert, 'CERTIFICATE');
      const certSpki = Buffer.from(new x509.X509Certificate(certPem).publicKey.rawData);
      const keySpki = createPublicKey(createPrivateKey(pending)).export({ format: 'der', type: 'spki' });
      if (!certSpki.equals(keySpki)) return bad('certificate is not for the pending key');
    } catch {
      return bad('cert is not a certificate');
    }
    const installed = dev.installCertificate(certPem, pending);
    return { ok: true, after: installed.activate };
  },
  async set_output(dev, args) {
    const why = checkOutput(dev.profile, args.name, args.value);
    if (why) return bad(why);
    const name = args.name as string;
    const value = args.value as number | boolean;
    dev.outputs[name] = value;
    // The applied state goes back on the uplink, so the dashboard shows what the device did.
    return { ok: true, result: { name, value }, after: () => dev.sendEvent({ type: 'output', name, value }) };
  },
  async ota(dev, args) {
    // §7.5: manifest signature, profile and anti-rollback are checked before accepting; the
    // image itself is checked after the download, before anything is installed.
    const c = dev.firmware.check(args.manifest, args.url);
    if ('error' in c) return bad(c.error);
    const url = args.url as string;
    return {
      ok: true,
      result: { state: 'accepted', version: c.manifest.version },
      after: () => void dev.firmware.run(url, c.manifest),
    };
  },
  async trust_bundle(dev, args) {
    if (typeof args.bundle !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(args.bundle))
      return bad('bundle missing');
    const pems: string[] = [];
    try {
      for (const part of args.bundle.split('.')) {
        const pem = pemFromB64u(part, 'CERTIFICATE');
        new x509.X509Certificate(pem);
        pems.push(pem);
      }
    } catch {
      return bad('bundle holds something that is not a certificate');
    }
    if (pems.length === 0 || pems.length > 4) return bad('bundle must hold 1 to 4 certificates');
    dev.installTrustBundle(pems.join(''));
    return { ok: true, result: { anchors: pems.length } };
  },
};

/** Runs an op; an unknown op is refused with `ok:false` (protocol §7.3). */
export async function runOp(dev: OpsDevice, cmd: CommandBody): Promise<OpOutcome> {
  const op = Object.hasOwn(SIM_OPS, cmd.op) ? SIM_OPS[cmd.op] : undefined;
  if (!op) return bad('unsupported op');
  try {
    return await op(dev, cmd.args);
  } catch {
    return bad('op failed');
  }
}

/** What a device counts of the commands it received. */
export interface CommandStats {
  /** Commands run (each id once), repeats answered as duplicates, refused downlink messages by reason. */
  commandsRun: number;
  duplicates: number;
  refused: Partial<Record<DownlinkRefusal, number>>;
  /** Commands run, in order of arrival: `op` and `id`. */
  commandLog: { id: string; op: string; ok: boolean }[];
}

/**
 * One message off the device's `commands` topic, as its downlink window judged it: refused ones are
 * counted, a repeat of a command already run is answered as a duplicate and not run again, a new
 * one runs and is acknowledged through `ack`; what the op does after its ack (a reboot, a
 * reconnect with a new certificate) runs once the ack is on its way.
 */
export async function receiveCommand(
  dev: OpsDevice,
  r: DownlinkResult,
  stats: CommandStats,
  ack: (body: Record<string, unknown>) => void,
): Promise<void> {
  if (!r.ok) {
    stats.refused[r.reason] = (stats.refused[r.reason] ?? 0) + 1;
    return;
  }
  const { id, op } = r.command;
  if (r.duplicate) {
    // Already run (a resend whose ack was lost): answer again, run nothing.
    stats.duplicates++;
    ack({ id, ok: true, result: { duplicate: true } });
    return;
  }
  const out = await runOp(dev, r.command);
  stats.commandsRun++;
  stats.commandLog.push({ id, op, ok: out.ok });
  ack(
    out.ok
      ? { id, ok: true, ...(out.result ? { result: out.result } : {}) }
      : { id, ok: false, error: out.error },
  );
  if (out.ok) out.after?.();
}
