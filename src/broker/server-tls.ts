import tls from 'node:tls';
import { TLS_SERVER_OPTIONS } from '../pki/tls-policy.ts';
import type { BrokerTlsOptions } from './broker-types.ts';

const CRL_PEM_RE = /-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----\n?/g;

/**
 * The broker's secure context: its certificate and key, the trusted client CAs, the CRL in force
 * and the shared TLS policy. During a CA rollover the CRL file holds one CRL per root: Node reads
 * one CRL per array entry, so each is passed on its own.
 */
export function brokerSecureContext(t: BrokerTlsOptions, crl: string | undefined): tls.SecureContextOptions {
  const { ca, cert, key } = t;
  return { ca, cert, key, ...(crl ? { crl: crl.match(CRL_PEM_RE) ?? crl } : {}), ...TLS_SERVER_OPTIONS };
}

/**
 * Installs a new secure context for future handshakes (a CRL refresh, a renewed server
 * certificate, a CA rollover's trust anchors); live sessions are not touched. Built first, so a bad
 * key or CRL throws here and changes nothing. Ticket keys survive the swap, so a refresh (every
 * revocation, every store change, every 6 h) does not push every device through a full handshake.
 * A session resumed from a ticket skips certificate verification and the CRL: the broker checks
 * its revoked list at accept and at CONNECT for exactly that case.
 */
export function swapSecureContext(server: tls.Server, options: tls.SecureContextOptions): void {
  tls.createSecureContext(options);
  const ticketKeys = server.getTicketKeys();
  server.setSecureContext(options);
  server.setTicketKeys(ticketKeys);
}
