import { createHash, createPublicKey, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../canonical-json.ts';
import { VigilError } from '../errors.ts';
import { DEVICE_PROFILES } from '../protocol/device-profile.ts';

/**
 * Signed firmware manifests (docs/ota.md). The signature is Ed25519 over the RFC 8785 (JCS)
 * canonical bytes of the manifest without its `signature` member, so signer, server and device
 * agree on the bytes whatever order or spacing the JSON file has.
 */

/** MAJOR.MINOR.PATCH, each 0..999 (so that a version maps onto one security counter). */
const SEMVER_RE = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
export const FIRMWARE_FORMAT = 'vigil-firmware-1';
/** Largest image accepted (16 MiB: an ESP32 OTA slot is at most a few MiB). */
export const MAX_FIRMWARE_BYTES = 16 * 1024 * 1024;

export const manifestSchema = z.strictObject({
  format: z.literal(FIRMWARE_FORMAT),
  version: z.string().regex(SEMVER_RE, 'version must be MAJOR.MINOR.PATCH, each 0..999'),
  securityCounter: z.number().int().min(0).max(999_999_999),
  minVersion: z.string().regex(SEMVER_RE).nullable(),
  profile: z.enum(DEVICE_PROFILES),
  size: z.number().int().min(1).max(MAX_FIRMWARE_BYTES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});

export type FirmwareManifest = z.infer<typeof manifestSchema>;

/** True when `v` is MAJOR.MINOR.PATCH with each part 0..999. */
export function isFirmwareVersion(v: string): boolean {
  return SEMVER_RE.test(v);
}

/** The number a version stands for (MAJOR·10⁶ + MINOR·10³ + PATCH): ordered as the versions. */
export function versionNumber(v: string): number {
  const m = SEMVER_RE.exec(v);
  if (!m)
    throw new VigilError('VIGIL_ERR_USAGE', `"${v.slice(0, 40)}" is not MAJOR.MINOR.PATCH (each 0..999)`);
  return Number(m[1]) * 1_000_000 + Number(m[2]) * 1000 + Number(m[3]);
}

/** A trusted firmware key as written in config and device bundles: `ed25519:<base64url raw key>`. */
export function publicKeyText(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new VigilError('VIGIL_ERR_USAGE', 'not an Ed25519 key');
  return `ed25519:${jwk.x}`;
}

/** Parses `ed25519:<base64url>` into a public key. */
export function parsePublicKeyText(text: string): KeyObject {
  const m = /^ed25519:([A-Za-z0-9_-]{43})$/.exec(text.trim());
  if (!m)
    throw new VigilError('VIGIL_ERR_USAGE', 'a firmware key is written ed25519:<43 base64url characters>');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: m[1] as string }, format: 'jwk' });
}

/** The key id a manifest names: the first 8 bytes of SHA-256 over the raw public key, in hex. */
export function keyIdOf(key: KeyObject): string {
  const x = publicKeyText(key).slice('ed25519:'.length);
  return createHash('sha256').update(Buffer.from(x, 'base64url')).digest('hex').slice(0, 16);
}

/** The bytes the signature covers: JCS of the manifest without `signature`. */
export function manifestSigningBytes(m: Omit<FirmwareManifest, 'signature'> | FirmwareManifest): Buffer {
  const { signature: _drop, ...rest } = m as FirmwareManifest;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

export interface SignInput {
  image: Buffer;
  version: string;
  profile: string;
  minVersion?: string | undefined;
  privateKey: KeyObject;
}

/**
 * Makes the manifest of an image. The security counter is the number of `--min-version` (default:
 * the version itself): a device that installed this image refuses every image whose counter is
 * lower, i.e. any version older than the minimum this release allows (anti-rollback).
 */
export function signManifest(i: SignInput): FirmwareManifest {
  const version = i.version;
  const own = versionNumber(version);
  const minVersion = i.minVersion ?? null;
  const counter = minVersion === null ? own : versionNumber(minVersion);
  if (counter > own) throw new VigilError('VIGIL_ERR_USAGE', '--min-version must not be above --version');
  if (!(DEVICE_PROFILES as readonly string[]).includes(i.profile))
    throw new VigilError('VIGIL_ERR_USAGE', `--profile must be one of ${DEVICE_PROFILES.join(', ')}`);
  if (i.image.length === 0 || i.image.length > MAX_FIRMWARE_BYTES)
    throw new VigilError('VIGIL_ERR_USAGE', `an image is 1 byte to ${MAX_FIRMWARE_BYTES} bytes`);
  if (i.privateKey.asymmetricKeyType !== 'ed25519')
    throw new VigilError('VIGIL_ERR_USAGE', 'the signing key is not an Ed25519 key');
  const unsigned = {
    format: FIRMWARE_FORMAT,
    version,
    securityCounter: counter,
    minVersion,
    profile: i.profile as FirmwareManifest['profile'],
    size: i.image.length,
    sha256: createHash('sha256').update(i.image).digest('hex'),
    keyId: keyIdOf(createPublicKey(i.privateKey)),
  } as const;
  const signature = sign(null, manifestSigningBytes(unsigned), i.privateKey).toString('base64url');
  return { ...unsigned, signature };
}

/** Why a manifest or image was refused (the device's and the server's vocabulary). */
export type FirmwareRefusal = 'manifest' | 'unknown_key' | 'signature' | 'size' | 'hash';

/** Parses a manifest (JSON text or value); null when it does not follow the schema. */
export function parseManifest(input: unknown): FirmwareManifest | null {
  let v = input;
  if (typeof input === 'string') {
    try {
      v = JSON.parse(input);
    } catch {
      return null;
    }
  }
  const r = manifestSchema.safeParse(v);
  if (!r.success) return null;
  // The counter must stand for a version no newer than the image's own.
  if (r.data.securityCounter > versionNumber(r.data.version)) return null;
  return r.data;
}

/** Checks the manifest's signature against the trusted keys; null when it verifies. */
export function checkManifestSignature(
  m: FirmwareManifest,
  trusted: readonly KeyObject[],
): FirmwareRefusal | null {
  const key = trusted.find((k) => keyIdOf(k) === m.keyId);
  if (!key) return 'unknown_key';
  return verify(null, manifestSigningBytes(m), key, Buffer.from(m.signature, 'base64url'))
    ? null
    : 'signature';
}

/** Checks an image against its (already verified) manifest: size, then SHA-256. */
export function checkImage(m: FirmwareManifest, image: Buffer): FirmwareRefusal | null {
  if (image.length !== m.size) return 'size';
  // A public digest, compared in constant time anyway (the house rule for hash comparisons).
  const digest = createHash('sha256').update(image).digest();
  return timingSafeEqual(digest, Buffer.from(m.sha256, 'hex')) ? null : 'hash';
}
