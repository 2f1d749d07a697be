import { connect, type SecureVersion } from 'node:tls';
import type { DoctorCheck, Finding, TlsTarget } from '../finding.ts';

/** What a handshake with these client settings got: the protocol and cipher, or refused. */
interface Probe {
  accepted: boolean;
  protocol: string | null;
  cipher: string | null;
}

/**
 * Offers TLS with the given settings and reports whether the server completed the handshake.
 * `@SECLEVEL=0` lets this client offer what a careless server would accept; certificates are
 * not judged here (the certificates check does that).
 */
export function probeTls(
  t: TlsTarget,
  o: { minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string; ca: string },
  timeoutMs = 3000,
): Promise<Probe> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (p: Probe) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(p);
    };
    const socket = connect({
      host: t.host,
      port: t.port,
      servername: t.host === '127.0.0.1' || t.host === '::1' ? undefined : t.host,
      ca: o.ca,
      rejectUnauthorized: false,
      ...(o.minVersion ? { minVersion: o.minVersion } : {}),
      ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      ...(o.ciphers ? { ciphers: o.ciphers } : {}),
    });
    socket.setTimeout(timeoutMs, () => finish({ accepted: false, protocol: null, cipher: null }));
    socket.once('secureConnect', () =>
      finish({ accepted: true, protocol: socket.getProtocol(), cipher: socket.getCipher()?.name ?? null }),
    );
    socket.once('error', () => finish({ accepted: false, protocol: null, cipher: null }));
    socket.once('close', () => finish({ accepted: false, protocol: null, cipher: null }));
  });
}

/** TLS 1.2 suites without forward secrecy or without AEAD (RFC 9325 §4.2 rules them out). */
const WEAK_TLS12 =
  'AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:' +
  'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:' +
  'ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:DES-CBC3-SHA:@SECLEVEL=0';

/**
 * The running instance's listeners (HTTPS, MQTT, firmware downloads): TLS 1.3 offered; TLS 1.0 and 1.1 refused;
 * TLS 1.2 only with forward-secret AEAD suites. Probed over loopback like any client would.
 */
export const tlsCheck: DoctorCheck = {
  name: 'tls',
  async run({ tlsTargets, caPem }) {
    if (tlsTargets.length === 0)
      return [
        {
          check: 'tls',
          severity: 'info',
          message: 'no running vigil start on this data directory: listeners not probed',
          fix: null,
        },
      ];
    const findings: Finding[] = [];
    for (const t of tlsTargets) {
      const where = `${t.name} ${t.host}:${t.port}`;
      const base = await probeTls(t, { ca: caPem });
      if (!base.accepted) {
        findings.push({
          check: 'tls',
          severity: 'medium',
          message: `${where}: no TLS handshake (not listening, or not reachable from here)`,
          fix: 'check that vigil start runs and listens where config.json says',
        });
        continue;
      }
      if (base.protocol !== 'TLSv1.3')
        findings.push({
          check: 'tls',
          severity: 'medium',
          message: `${where}: negotiated ${base.protocol}, not TLS 1.3`,
          fix: 'let the listener offer TLS 1.3 (Vigil does by default: remove what restricts it)',
        });
      const old = await probeTls(t, {
        ca: caPem,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'ALL:@SECLEVEL=0',
      });
      if (old.accepted)
        findings.push({
          check: 'tls',
          severity: 'high',
          message: `${where}: accepts ${old.protocol}`,
          fix: 'allow TLS 1.2 and 1.3 only (src/pki/tls-policy.ts; Mosquitto: tls_version tlsv1.2 or later)',
        });
      const weak = await probeTls(t, { ca: caPem, maxVersion: 'TLSv1.2', ciphers: WEAK_TLS12 });
      if (weak.accepted)
        findings.push({
          check: 'tls',
          severity: 'high',
          message: `${where}: accepts TLS 1.2 suite ${weak.cipher} (no forward secrecy or no AEAD)`,
          fix: 'offer only ECDHE suites with AES-GCM or ChaCha20-Poly1305 for TLS 1.2 (RFC 9325 §4.2)',
        });
      if (!old.accepted && !weak.accepted && base.protocol === 'TLSv1.3')
        findings.push({
          check: 'tls',
          severity: 'ok',
          message: `${where}: TLS 1.3 (${base.cipher}); TLS 1.0/1.1 and weak TLS 1.2 suites refused`,
          fix: null,
        });
    }
    return findings;
  },
};
