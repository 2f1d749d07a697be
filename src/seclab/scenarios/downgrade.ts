/**
 * Downgrade attempts on both ports: old protocol versions, suites without AEAD or forward secrecy,
 * and TLS 1.2 renegotiation (docs/security.md §2, src/pki/tls-policy.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import tls from 'node:tls';
import { hasTool } from '../capture.ts';
import type { Lab } from '../lab.ts';
import { guarded, type Outcome, QUICK_AND_FULL, refusedIf, type Scenario } from '../scenario.ts';
import { shortTlsError } from './unauthorized-mqtt.ts';

/** Runs `openssl s_client` against 127.0.0.1:port with `args`; its output and exit code. */
export function sClient(
  port: number,
  args: string[],
  timeoutMs = 15_000,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    'openssl',
    ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  // s_client waits for input after a handshake: close stdin so it ends.
  child.stdin.end();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, out: `${out}\n(timed out)` });
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

/** A handshake happened when s_client names a real cipher. */
function negotiated(out: string): string | null {
  const m = /Cipher is (\S+)/.exec(out) ?? /Cipher\s*:\s*(\S+)/.exec(out);
  const c = m?.[1];
  return c && c !== '(NONE)' && c !== '0000' ? c : null;
}

/** The line of s_client's output that says why the handshake failed. */
function why(out: string): string {
  const line = out
    .split('\n')
    .find((l) => /alert|error|no protocols|no cipher|handshake failure|wrong version/i.test(l));
  return shortTlsError((line ?? 'no handshake').trim());
}

function ports(lab: Lab): [string, number][] {
  return [
    ['MQTT', lab.target.mqttPort],
    ['HTTPS', lab.target.httpPort],
  ];
}

/**
 * Every variant against both ports, s_client presenting a valid device certificate on MQTT (so
 * only the version or suite can be the reason for a refusal), plus a TLS 1.2 AEAD control that
 * must succeed.
 */
async function attempts(lab: Lab, name: string, variants: [string, string[]][]): Promise<Outcome> {
  if (!hasTool('openssl')) return { verdict: 'skipped', observed: 'openssl is not installed', evidence: [] };
  const device = await lab.device(name);
  const evidence: string[] = [];
  let ok = true;
  let control = true;
  for (const [portName, port] of ports(lab)) {
    const creds = [
      '-CAfile',
      join(device.dir, 'ca.crt'),
      ...(portName === 'MQTT'
        ? ['-cert', join(device.dir, 'device.crt'), '-key', join(device.dir, 'device.key')]
        : []),
    ];
    for (const [what, args] of variants) {
      const r = await sClient(port, [...args, ...creds]);
      const cipher = negotiated(r.out);
      ok &&= cipher === null;
      evidence.push(`${portName} ${what}: ${cipher ? `NEGOTIATED ${cipher}` : `refused (${why(r.out)})`}`);
    }
    const c = negotiated(
      (await sClient(port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', ...creds])).out,
    );
    control &&= c !== null;
    evidence.push(
      `${portName} control, TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256: ${c ? `negotiated ${c}` : 'FAILED'}`,
    );
  }
  if (!control)
    return {
      verdict: 'error',
      observed: 'the control handshake failed: the refusals prove nothing',
      evidence,
    };
  return refusedIf(
    ok,
    ok ? `all ${variants.length * 2} downgrade handshakes refused` : 'a downgraded handshake succeeded',
    evidence,
  );
}

// OpenSSL 3 refuses TLS 1.0/1.1 and SHA-1 suites at its default security level; level 0 makes the
// client really offer them, as an old or hostile client would.
const OLD = 'DEFAULT:@SECLEVEL=0';

const oldVersions: Scenario = {
  id: 'mitm.downgrade-version',
  family: 'mitm',
  title: 'Protocol downgrade to TLS 1.0 and 1.1',
  attacked: 'both listeners: a client (or a relay rewriting the ClientHello) offering only TLS 1.0 or 1.1',
  expected: 'no handshake on either port (TLS 1.2 is the minimum)',
  layers: ['tls'],
  properties: ['confidentiality', 'integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 120_000,
  run: guarded(async (ctx) => {
    return await attempts(ctx.lab, 'tls-version', [
      ['TLS 1.0 only', ['-tls1', '-cipher', OLD]],
      ['TLS 1.1 only', ['-tls1_1', '-cipher', OLD]],
    ]);
  }),
};

const weakSuites: Scenario = {
  id: 'mitm.downgrade-suites',
  family: 'mitm',
  title: 'Suites without AEAD or without forward secrecy',
  attacked:
    'both listeners: TLS 1.2 clients offering only CBC suites, RSA key exchange, NULL encryption or anonymous suites',
  expected: 'no handshake (TLS 1.2 allows ECDHE with AES-GCM or ChaCha20-Poly1305 only)',
  layers: ['tls'],
  properties: ['confidentiality', 'integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 120_000,
  run: guarded(async (ctx) => {
    return await attempts(ctx.lab, 'tls-suites', [
      [
        'ECDHE with CBC (SHA-1, SHA-256)',
        [
          '-tls1_2',
          '-cipher',
          `ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:${'@SECLEVEL=0'}`,
        ],
      ],
      [
        'RSA key exchange (no forward secrecy)',
        ['-tls1_2', '-cipher', 'AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:@SECLEVEL=0'],
      ],
      ['NULL encryption and anonymous', ['-tls1_2', '-cipher', 'eNULL:aNULL:@SECLEVEL=0']],
    ]);
  }),
};

/** A TLS 1.2 connection that asks to renegotiate: the error, or null when the server agreed. */
function renegotiate(port: number, creds: tls.ConnectionOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      maxVersion: 'TLSv1.2',
      ...creds,
    });
    const t = setTimeout(() => {
      s.destroy();
      resolve('no answer within 10 s');
    }, 10_000);
    s.once('error', (err) => {
      clearTimeout(t);
      resolve(err.message);
    });
    s.once('secureConnect', () => {
      const asked = s.renegotiate({}, (err) => {
        clearTimeout(t);
        s.destroy();
        resolve(err ? err.message : null);
      });
      if (!asked) {
        clearTimeout(t);
        s.destroy();
        resolve('the client could not even ask');
      }
    });
  });
}

const renegotiation: Scenario = {
  id: 'mitm.renegotiation',
  family: 'mitm',
  title: 'TLS 1.2 renegotiation',
  attacked:
    'both listeners: a client asking for a renegotiation (prefix injection, CVE-2009-3555 class; or a cheap way to make the server redo handshakes)',
  expected: 'refused with a no_renegotiation alert; the connection fails',
  layers: ['tls'],
  properties: ['integrity', 'availability'],
  modes: QUICK_AND_FULL,
  timeoutMs: 60_000,
  run: guarded(async (ctx) => {
    const { lab } = ctx;
    const device = await lab.device('reneg');
    const evidence: string[] = [];
    let ok = true;
    for (const [name, port] of ports(lab)) {
      const creds =
        name === 'MQTT' ? { ca: device.ca, cert: device.cert, key: device.key } : { ca: lab.target.caPem };
      const err = await renegotiate(port, creds);
      ok &&= err !== null;
      evidence.push(`${name}: ${err === null ? 'RENEGOTIATED' : `refused (${shortTlsError(err)})`}`);
    }
    return refusedIf(
      ok,
      ok ? 'renegotiation refused on both ports' : 'a renegotiation was accepted',
      evidence,
    );
  }),
};

export const DOWNGRADE_SCENARIOS: Scenario[] = [oldVersions, weakSuites, renegotiation];
