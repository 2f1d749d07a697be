/**
 * Real protocol servers on loopback for the notification tests: an SMTP server (smtp-server, with
 * STARTTLS or implicit TLS) that parses what it receives (mailparser), an HTTPS stub that records
 * requests (an SMS/voice provider, a webhook receiver), and a Web Push service stub that checks
 * the VAPID signature (RFC 8292) and decrypts the aes128gcm payload (RFC 8291, RFC 8188) with the
 * keys of a simulated browser.
 */
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  hkdfSync,
  randomBytes,
  verify as verifySig,
} from 'node:crypto';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TlsPair {
  cert: string;
  key: string;
}

export interface ReceivedMail {
  mail: ParsedMail;
  /** The session was encrypted when the message was sent. */
  secure: boolean;
  user: string | null;
  envelopeTo: string[];
  receivedAt: number;
}

export interface SmtpStub {
  port: number;
  received: ReceivedMail[];
  /** Answer the next `n` messages with 451 (a temporary failure). */
  failNext(n: number): void;
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** An SMTP server with TLS: `secure` = implicit TLS (RFC 8314), else STARTTLS offered (unless `noStartTls`). */
export async function startSmtpStub(o: {
  tls: TlsPair;
  secure: boolean;
  /** Default: any free port. */
  port?: number;
  noStartTls?: boolean;
  auth?: { user: string; pass: string };
  onMessage?: (m: ReceivedMail) => void;
}): Promise<SmtpStub> {
  const received: ReceivedMail[] = [];
  let failing = 0;
  const server = new SMTPServer({
    secure: o.secure,
    key: o.tls.key,
    cert: o.tls.cert,
    authOptional: !o.auth,
    // AUTH is only offered inside TLS (the default), so a client that never started TLS cannot log in.
    allowInsecureAuth: false,
    // A server without STARTTLS (or an attacker who strips it from the EHLO answer).
    disabledCommands: [...(o.auth ? [] : ['AUTH']), ...(o.noStartTls ? ['STARTTLS'] : [])],
    logger: false,
    onAuth(auth, _session, cb) {
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass)
        cb(null, { user: auth.username });
      else cb(new Error('invalid credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          const e = new Error('try again later') as Error & { responseCode: number };
          e.responseCode = 451;
          return cb(e);
        }
        void simpleParser(Buffer.concat(chunks)).then((mail) => {
          const m: ReceivedMail = {
            mail,
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : null,
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            receivedAt: Date.now(),
          };
          received.push(m);
          o.onMessage?.(m);
          cb();
        }, cb);
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    failNext: (n) => {
      failing = n;
    },
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`SMTP stub: ${received.length} of ${n} messages`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface StubRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpsStub {
  url: string;
  requests: StubRequest[];
  /** Answer of the next requests (default 201 with `{"sid":"SM…","status":"queued"}`). */
  respond: (r: StubRequest) => { status: number; body?: string };
  close(): Promise<void>;
}

/** An HTTPS server on loopback that records every request and answers with `respond`. */
export async function startHttpsStub(tls: TlsPair): Promise<HttpsStub> {
  const stub: HttpsStub = {
    url: '',
    requests: [],
    respond: () => ({
      status: 201,
      body: JSON.stringify({ sid: `SM${randomBytes(16).toString('hex')}`, status: 'queued' }),
    }),
    close: async () => {},
  };
  const server: Server = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: StubRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      stub.requests.push(r);
      const a = stub.respond(r);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body ?? '');
    });
  });
  return listening(server, stub);
}

/** Listens on a free loopback port; sets the stub's URL and a close that ends every connection. */
async function listening<S extends { url: string; close(): Promise<void> }>(
  server: Server,
  stub: S,
): Promise<S> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}

/** A simulated browser's push subscription: its ECDH key pair and auth secret (RFC 8291 §2). */
export interface SimulatedBrowser {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  ecdh: ReturnType<typeof createECDH>;
  authSecret: Buffer;
}

export interface PushDelivery {
  /** The decrypted payload. */
  payload: string;
  /** The VAPID claims (RFC 8292 §2). */
  claims: { aud: string; exp: number; sub: string };
  /** The `k=` public key the signature verified with. */
  vapidKey: string;
  ttl: string | undefined;
  urgency: string | undefined;
}

export interface PushServiceStub {
  url: string;
  browser(): SimulatedBrowser;
  deliveries: PushDelivery[];
  /** Refusals with their reason (a bad signature, undecryptable content). */
  refusals: string[];
  /** Status for the next requests instead of verifying (e.g. 410 Gone). */
  forceStatus: number | null;
  close(): Promise<void>;
}

const b64u = (b: Buffer) => b.toString('base64url');

/** Verifies `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3) for an endpoint origin. */
function verifyVapid(
  header: string | undefined,
  origin: string,
  now: number,
): { claims: PushDelivery['claims']; key: string } {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m?.[1] || !m[2]) throw new Error('no vapid authorization');
  const [h, p, s] = m[1].split('.');
  if (!h || !p || !s) throw new Error('malformed JWT');
  const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; typ?: string };
  if (head.alg !== 'ES256') throw new Error(`JWT alg ${head.alg}`);
  const raw = Buffer.from(m[2], 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33)) },
    format: 'jwk',
  });
  // JWS ES256 signatures are r || s (RFC 7518 §3.4), not DER.
  const ok = verifySig(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  if (!ok) throw new Error('VAPID signature does not verify');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as PushDelivery['claims'];
  if (claims.aud !== origin) throw new Error(`aud ${claims.aud} is not ${origin}`);
  if (!(claims.exp > now / 1000 && claims.exp <= now / 1000 + 24 * 3600)) throw new Error('exp outside 24 h');
  if (!/^(mailto:|https:)/.test(claims.sub ?? '')) throw new Error('no sub');
  return { claims, key: m[2] };
}

/** Decrypts an aes128gcm body (RFC 8188 §2) for the browser's keys (RFC 8291 §3.3-3.4). */
function decryptPush(body: Buffer, b: SimulatedBrowser): string {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20] ?? 0;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (idlen !== 65) throw new Error('keyid is not the sender public key');
  if (ciphertext.length > rs) throw new Error('more than one record');
  const uaPublic = b.ecdh.getPublicKey();
  const ecdhSecret = b.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, b.authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const d = createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
  // The last record ends with the delimiter 0x02 followed by zero padding (RFC 8188 §2).
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

export async function startPushServiceStub(tls: TlsPair): Promise<PushServiceStub> {
  const browsers = new Map<string, SimulatedBrowser>();
  const stub: PushServiceStub = {
    url: '',
    deliveries: [],
    refusals: [],
    forceStatus: null,
    browser: () => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const authSecret = randomBytes(16);
      const id = randomBytes(12).toString('hex');
      const b: SimulatedBrowser = {
        endpoint: `${stub.url}/push/${id}`,
        keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(authSecret) },
        ecdh,
        authSecret,
      };
      browsers.set(`/push/${id}`, b);
      return b;
    },
    close: async () => {},
  };
  const server = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, why?: string) => {
        if (why) stub.refusals.push(why);
        res.writeHead(status);
        res.end();
      };
      if (stub.forceStatus !== null) return answer(stub.forceStatus);
      const b = browsers.get(req.url ?? '');
      if (!b) return answer(404, 'unknown subscription');
      try {
        const { claims, key } = verifyVapid(req.headers.authorization, stub.url, Date.now());
        if (req.headers['content-encoding'] !== 'aes128gcm')
          throw new Error('content-encoding is not aes128gcm');
        const payload = decryptPush(Buffer.concat(chunks), b);
        stub.deliveries.push({
          payload,
          claims,
          vapidKey: key,
          ttl: req.headers.ttl as string | undefined,
          urgency: req.headers.urgency as string | undefined,
        });
        answer(201);
      } catch (err) {
        answer(403, (err as Error).message);
      }
    });
  });
  return listening(server, stub);
}
