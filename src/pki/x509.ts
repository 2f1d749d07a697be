// @peculiar/x509 resolves its ASN.1 schema through decorators that need the Reflect metadata
// polyfill loaded first; every PKI file imports the library through this module so the order
// holds no matter which file is imported first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };

/** WebCrypto types from node (the project compiles without the DOM lib). */
export type WebCryptoKey = webcrypto.CryptoKey;
export type WebCryptoKeyPair = webcrypto.CryptoKeyPair;

/** node's WebCrypto, used for key generation and import. */
export const subtle = webcrypto.subtle;

/** ECDSA P-256 key generation parameters (the only key type the Vigil PKI issues). */
export const EC_P256: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** ecdsa-with-SHA256 (RFC 5758 §3.2), used for every certificate and CRL signature. */
export const ECDSA_SHA256: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
