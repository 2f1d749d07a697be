import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { VigilError } from '../errors.ts';
import { subtle, type WebCryptoKey, x509 } from './x509.ts';

/** PEM-encodes DER bytes with a trailing newline (files and `tls` options accept it as is). */
export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  return `${x509.PemConverter.encode(der instanceof Uint8Array ? toArrayBuffer(der) : der, label)}\n`;
}

/** Exports a WebCrypto private key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export async function privateKeyToPem(key: WebCryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return toPem(der, 'PRIVATE KEY');
}

/** Imports a PKCS#8 PEM ECDSA P-256 private key for signing. */
export async function importSigningKey(pem: string): Promise<WebCryptoKey> {
  let der: ArrayBuffer;
  try {
    der = firstPemBlock(pem, 'PRIVATE KEY');
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_PKI', 'CA key is not a PKCS#8 PEM private key', { cause });
  }
  try {
    return await subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_PKI', 'CA key is not an ECDSA P-256 key', { cause });
  }
}

/** Parses the first certificate of a PEM text with node's parser (a clear error if it is not one). */
export function parseCertPem(pem: string): NodeX509Certificate {
  try {
    return new NodeX509Certificate(pem);
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_PKI', 'not a PEM certificate', { cause });
  }
}

/** DER bytes of the first PEM block with the given label. */
export function firstPemBlock(pem: string, label: string): ArrayBuffer {
  const blocks = x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === label);
  const first = blocks[0];
  if (!first) throw new VigilError('VIGIL_ERR_PKI', `no ${label} PEM block`);
  return first.rawData;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
