/**
 * A stand-in for the Vigil API (docs/api.md) for developing and screenshotting the dashboard
 * before and apart from the real server: HTTPS on loopback with a throw-away test PKI, the same
 * security headers and CSP as src/api/security-headers.ts, the sign-in state machine, sessions in
 * a `__Host-` cookie, an Origin check on every state change, role permissions from
 * src/auth/rbac.ts, and a live WebSocket feed. The fleet is the demo fleet of `npm start`
 * (6 trucks, 3 vitals monitors, 3 fridge probes) driven by the simulator's own device models
 * (src/sim/model), with a history, a heat excursion, gaps, backfill and alarms.
 *
 * Not a security boundary: TOTP accepts any 6 digits except 000000, recovery codes any code of
 * 10+ characters; passwords are compared in clear. It serves web/dist as the real server should.
 *
 *   node test/helpers/mock-api.ts [--port 8443] [--fresh-admin] [--history-days 8]
 *   → https://localhost:8443  (users admin, operator, quality, viewer, auditor, receiver;
 *     password `vigil-demo-password`; any 6-digit code)
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { SECURITY_HEADERS } from '../../src/api/security-headers.ts';
import { ROLES, type Role } from '../../src/auth/principal.ts';
import { permissionsOf } from '../../src/auth/rbac.ts';
import { makeTestPki } from '../../src/pki/test-pki.fixture.ts';
import { isDeviceId } from '../../src/protocol/device-id.ts';
import type { DeviceProfile } from '../../src/protocol/device-profile.ts';
import { createModel, type DeviceModel } from '../../src/sim/model/index.ts';
import { routeBetween } from '../../src/sim/model/routes.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ONLINE_WINDOW_MS = 10 * MINUTE;
const DIST = resolve(fileURLToPath(new URL('../../web/dist/', import.meta.url)));
export const MOCK_PASSWORD = 'vigil-demo-password';

type Scalar = number | string | boolean | null;
interface Sample {
  ts: number;
  receivedAt: number;
  backfill: boolean;
  seq: number;
  data: Record<string, Scalar>;
}

interface MockDevice {
  id: string;
  profile: DeviceProfile;
  status: 'enabled' | 'disabled';
  alg: 'A256GCM' | 'ASCON128';
  createdAt: number;
  updatedAt: number;
  certNotAfter: number;
  model: DeviceModel;
  samples: Sample[];
  /** Samples taken while the link was down, released as backfill when it returns. */
  buffer: Sample[];
  clock: number;
  seq: number;
  /** Live sampling period. */
  periodMs: number;
  /** Stops sending (powered off / unplugged) from this time on, to show an offline device. */
  silentFrom: number | null;
  /** Samples in these windows are lost (logger off): gaps in the charts. */
  holes: [number, number][];
  /** Set to `disabled` once the history reaches this time. */
  disabledAt?: number;
}

interface MockAlarm {
  id: string;
  rule: string;
  subject: string;
  state: 'open' | 'acknowledged' | 'closed';
  severity: 'critical' | 'warning';
  startedAt: number;
  raisedAt: number;
  endedAt: number | null;
  message: string;
  ack: { by: string; at: number; reason: string } | null;
}

interface MockUser {
  name: string;
  role: Role;
  password: string;
  status: 'active' | 'disabled';
  mustChangePassword: boolean;
  mfaEnrolled: boolean;
  recoveryCodesLeft: number;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

interface Session {
  user: string;
  state: 'password_ok' | 'mfa_ok';
  createdAt: number;
}

export interface MockApiOptions {
  port?: number;
  /** The admin must change the one-time password and enrol TOTP (first-start flow). */
  freshAdmin?: boolean;
  historyDays?: number;
  /** Omit `latest`/`alarm` from the device list (as src/api/routes/devices.ts does today). */
  listWithoutLatest?: boolean;
  /** Live sampling tick (ms). */
  tickMs?: number;
  now?: number;
}

export interface MockApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------------- fleet

const TRUCK_ROUTES: [string, string][] = [
  ['amsterdam', 'brussels'],
  ['brussels', 'paris'],
  ['antwerp', 'brussels'],
  ['paris', 'brussels'],
  ['geneva', 'lyon'],
  ['brussels', 'amsterdam'],
];

function stepDevice(d: MockDevice, ts: number): void {
  const step = d.model.step(ts);
  d.clock = ts;
  if (d.status !== 'enabled' || (d.silentFrom !== null && ts >= d.silentFrom)) return;
  if (d.holes.some(([a, b]) => ts >= a && ts < b)) return;
  const { ts: sampleTs, ...data } = step.sample;
  const s: Sample = {
    ts: sampleTs,
    receivedAt: ts,
    backfill: false,
    seq: ++d.seq,
    data: data as Record<string, Scalar>,
  };
  if (!step.connected) {
    d.buffer.push(s);
    return;
  }
  for (const b of d.buffer) {
    b.backfill = true;
    b.receivedAt = ts;
    d.samples.push(b);
  }
  d.buffer = [];
  d.samples.push(s);
}

function buildFleet(now: number, historyDays: number): MockDevice[] {
  const devices: MockDevice[] = [];
  const specs: {
    id: string;
    profile: DeviceProfile;
    startTs: number;
    model: DeviceModel;
    extra?: Partial<MockDevice>;
  }[] = [];
  TRUCK_ROUTES.forEach(([a, b], i) => {
    const id = `sim-truck-${String(i + 1).padStart(3, '0')}`;
    // Truck 1 left 20 h ago and its reefer failed shortly after: a heat excursion in the 24 h view.
    const startTs = i === 0 ? now - 20 * HOUR : now - historyDays * DAY;
    specs.push({
      id,
      profile: 'vaccine-transport',
      startTs,
      model: createModel('vaccine-transport', {
        id,
        seed: `mock:${id}`,
        startTs,
        route: routeBetween(a, b),
        forceExcursion: i === 0 ? 'heat' : false,
      }),
    });
  });
  for (let i = 1; i <= 3; i++) {
    const id = `sim-vitals-${String(i).padStart(3, '0')}`;
    const startTs = now - historyDays * DAY;
    specs.push({
      id,
      profile: 'patient-vitals',
      startTs,
      model: createModel('patient-vitals', { id, seed: `mock:${id}`, startTs }),
      // Monitor 3 was unplugged 25 minutes ago: offline, buffering.
      extra: i === 3 ? { silentFrom: now - 25 * MINUTE } : {},
    });
  }
  for (let i = 1; i <= 3; i++) {
    const id = `sim-probe-${String(i).padStart(3, '0')}`;
    const startTs = now - historyDays * DAY;
    specs.push({
      id,
      profile: 'temperature-probe',
      startTs,
      model: createModel('temperature-probe', { id, seed: `mock:${id}`, startTs }),
      extra:
        i === 2
          ? // The logger of probe 2 was off for maintenance twice: gaps.
            {
              holes: [
                [now - 5 * HOUR, now - 3.5 * HOUR],
                [now - 2 * DAY - 4 * HOUR, now - 2 * DAY],
              ],
            }
          : i === 3
            ? // Probe 3 (a decommissioned fridge) was disabled two days ago.
              { silentFrom: now - 2 * DAY, disabledAt: now - 2 * DAY }
            : {},
    });
  }
  for (const s of specs) {
    const d: MockDevice = {
      id: s.id,
      profile: s.profile,
      status: 'enabled',
      alg: s.id.endsWith('2') ? 'ASCON128' : 'A256GCM',
      createdAt: now - (historyDays + 3) * DAY,
      updatedAt: now - DAY,
      certNotAfter: now + 800 * DAY,
      model: s.model,
      samples: [],
      buffer: [],
      clock: s.startTs,
      seq: 0,
      periodMs: s.profile === 'vaccine-transport' ? 2000 : 5000,
      silentFrom: null,
      holes: [],
      ...s.extra,
    };
    // History: one sample a minute, then every 15 s for the last hour (denser, as live data is).
    const fineFrom = now - HOUR;
    for (let ts = s.startTs + MINUTE; ts < fineFrom; ts += MINUTE) stepDevice(d, ts);
    for (let ts = Math.max(fineFrom, s.startTs + MINUTE); ts <= now; ts += 15_000) stepDevice(d, ts);
    if (d.disabledAt !== undefined) {
      d.status = 'disabled';
      d.updatedAt = d.disabledAt;
    }
    devices.push(d);
  }
  return devices;
}

function buildAlarms(devices: MockDevice[], now: number): MockAlarm[] {
  const alarms: MockAlarm[] = [];
  const truck = devices.find((d) => d.id === 'sim-truck-001');
  const hot = truck?.samples.find((s) => typeof s.data.temp_c === 'number' && s.data.temp_c > 8);
  if (truck && hot) {
    const peak = Math.max(
      ...truck.samples.map((s) => (typeof s.data.temp_c === 'number' ? s.data.temp_c : -99)),
    );
    alarms.push({
      id: 'alm-1042',
      rule: 'heat_excursion',
      subject: truck.id,
      state: 'open',
      severity: 'critical',
      startedAt: hot.ts,
      raisedAt: hot.ts + 10 * HOUR > now ? hot.ts + 30 * MINUTE : hot.ts + 10 * HOUR,
      endedAt: null,
      message: `Load above +8 °C since ${new Date(hot.ts).toISOString().slice(11, 16)} UTC, peak ${peak.toFixed(1)} °C (WHO PQS E006 heat alarm)`,
      ack: null,
    });
  }
  alarms.push(
    {
      id: 'alm-1041',
      rule: 'spo2_low',
      subject: 'sim-vitals-002',
      state: 'acknowledged',
      severity: 'warning',
      startedAt: now - 95 * MINUTE,
      raisedAt: now - 90 * MINUTE,
      endedAt: null,
      message: 'SpO₂ below 92 % for 5 min (NEWS2 score 3)',
      ack: {
        by: 'quality',
        at: now - 80 * MINUTE,
        reason: 'Ward nurse informed; probe repositioned, patient on 2 l/min O₂.',
      },
    },
    {
      id: 'alm-1040',
      rule: 'no_data',
      subject: 'sim-vitals-003',
      state: 'open',
      severity: 'warning',
      startedAt: now - 25 * MINUTE,
      raisedAt: now - 15 * MINUTE,
      endedAt: null,
      message: 'No data for more than 10 min',
      ack: null,
    },
    {
      id: 'alm-1031',
      rule: 'no_data',
      subject: 'sim-probe-002',
      state: 'closed',
      severity: 'warning',
      startedAt: now - 5 * HOUR,
      raisedAt: now - 4.8 * HOUR,
      endedAt: now - 3.5 * HOUR,
      message: 'No data for 90 min (logger maintenance)',
      ack: { by: 'operator', at: now - 4.5 * HOUR, reason: 'Planned maintenance of the probe logger.' },
    },
  );
  return alarms;
}

// ------------------------------------------------------------------------------------ series

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? null;
}

function series(d: MockDevice, from: number, to: number, maxPoints: number) {
  const rows = d.samples.filter((s) => s.ts >= from && s.ts < to).sort((a, b) => a.ts - b.ts);
  const intervals: number[] = [];
  for (let i = 1; i < rows.length; i++) intervals.push((rows[i]?.ts ?? 0) - (rows[i - 1]?.ts ?? 0));
  const med = median(intervals);
  const gaps: { from: number; to: number }[] = [];
  if (med !== null) {
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]?.ts ?? 0;
      const b = rows[i]?.ts ?? 0;
      if (b - a > Math.max(3 * med, 3 * MINUTE)) gaps.push({ from: a, to: b });
    }
  }
  const downsampled = rows.length > maxPoints;
  const point = (group: Sample[]) => {
    const first = group[0] as Sample;
    if (group.length === 1) {
      return { ts: first.ts, n: 1, backfill: first.backfill, values: first.data };
    }
    const values: Record<string, Scalar> = {};
    const min: Record<string, number> = {};
    const max: Record<string, number> = {};
    for (const k of Object.keys(first.data)) {
      const nums = group.map((s) => s.data[k]).filter((v): v is number => typeof v === 'number');
      if (nums.length) {
        values[k] = Math.round((nums.reduce((a, b) => a + b, 0) / nums.length) * 100) / 100;
        min[k] = Math.min(...nums);
        max[k] = Math.max(...nums);
      } else values[k] = group[group.length - 1]?.data[k] ?? null;
    }
    const ts = Math.round(group.reduce((a, s) => a + s.ts, 0) / group.length);
    return { ts, n: group.length, backfill: group.some((s) => s.backfill), values, min, max };
  };
  let points: ReturnType<typeof point>[];
  let bucketMs: number | null = null;
  if (!downsampled) points = rows.map((r) => point([r]));
  else {
    bucketMs = (to - from) / maxPoints;
    const buckets = new Map<number, Sample[]>();
    for (const r of rows) {
      const b = Math.floor((r.ts - from) / bucketMs);
      let arr = buckets.get(b);
      if (!arr) {
        arr = [];
        buckets.set(b, arr);
      }
      arr.push(r);
    }
    points = [...buckets.values()].map(point);
  }
  return {
    deviceId: d.id,
    from,
    to,
    maxPoints,
    downsampled,
    bucketMs,
    count: rows.length,
    medianIntervalMs: med,
    truncated: false,
    points,
    gaps: gaps.slice(0, 500),
    gapsOmitted: Math.max(0, gaps.length - 500),
  };
}

// -------------------------------------------------------------------------------------- QR

/** A QR-looking SVG (finder patterns + pseudo-random modules from the secret); the real server draws a real one. */
function fakeQrSvg(secret: string): string {
  const n = 29;
  const bits = createHash('sha512').update(secret).digest();
  const rects: string[] = [];
  const finder = (x: number, y: number) =>
    rects.push(
      `<path d="M${x} ${y}h7v7h-7zM${x + 1} ${y + 1}v5h5v-5zM${x + 2} ${y + 2}h3v3h-3z" fill-rule="evenodd"/>`,
    );
  finder(0, 0);
  finder(n - 7, 0);
  finder(0, n - 7);
  let k = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const inFinder = (x < 8 && y < 8) || (x >= n - 8 && y < 8) || (x < 8 && y >= n - 8);
      if (inFinder) continue;
      const byte = bits[k % bits.length] ?? 0;
      if (((byte >> (k % 8)) ^ (x * 7 + y * 13)) & 1)
        rects.push(`<rect x="${x}" y="${y}" width="1" height="1"/>`);
      k++;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 ${n + 4} ${n + 4}" shape-rendering="crispEdges"><rect x="-2" y="-2" width="${n + 4}" height="${n + 4}" fill="#fff"/><g fill="#000">${rects.join('')}</g></svg>`;
}

// ------------------------------------------------------------------------------------ server

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export async function startMockApi(opts: MockApiOptions = {}): Promise<MockApi> {
  const now0 = opts.now ?? Date.now();
  const historyDays = opts.historyDays ?? 8;
  const devices = new Map(buildFleet(now0, historyDays).map((d) => [d.id, d]));
  const alarms = new Map(buildAlarms([...devices.values()], now0).map((a) => [a.id, a]));
  const startedAt = now0 - 3 * DAY - 4 * HOUR;
  const users = new Map<string, MockUser>();
  for (const role of ROLES) {
    users.set(role, {
      name: role,
      role,
      password: MOCK_PASSWORD,
      status: 'active',
      mustChangePassword: role === 'admin' && opts.freshAdmin === true,
      mfaEnrolled: !(role === 'admin' && opts.freshAdmin === true),
      recoveryCodesLeft: 10,
      createdAt: now0 - 30 * DAY,
      updatedAt: now0 - 30 * DAY,
      lastLoginAt: now0 - 2 * HOUR,
    });
  }
  const tokens = new Map<
    string,
    {
      id: string;
      label: string;
      role: Role;
      createdBy: string;
      createdAt: number;
      expiresAt: number;
      revokedAt: number | null;
      lastUsedAt: number | null;
    }
  >();
  tokens.set('3f9a1c0d5e7b2a41', {
    id: '3f9a1c0d5e7b2a41',
    label: 'prometheus-scraper',
    role: 'operator',
    createdBy: 'admin',
    createdAt: now0 - 20 * DAY,
    expiresAt: now0 + 70 * DAY,
    revokedAt: null,
    lastUsedAt: now0 - 30_000,
  });
  const sessions = new Map<string, Session>();
  const failures = new Map<string, number[]>();
  const counters = { accepted: 0, readings: 0, rejected: 0, commits: 0 };
  for (const d of devices.values()) counters.readings += d.samples.length;
  counters.accepted = counters.readings + 312;
  counters.commits = Math.round(counters.accepted / 7);
  const rejections: Record<string, number> = { VIGIL_ERR_REPLAY: 3, VIGIL_ERR_MAC_INVALID: 1 };
  const persisted: Record<string, number> = {
    VIGIL_ERR_REPLAY: 41,
    VIGIL_ERR_MAC_INVALID: 7,
    VIGIL_ERR_TS_FUTURE: 2,
  };
  const pki = await makeTestPki({ hostNames: ['localhost'], ips: ['127.0.0.1'] });

  const userView = (u: MockUser) => ({
    name: u.name,
    role: u.role,
    status: u.status,
    mfaEnrolled: u.mfaEnrolled,
    mustChangePassword: u.mustChangePassword,
    mustEnrolMfa: !u.mfaEnrolled,
    recoveryCodesLeft: u.recoveryCodesLeft,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    passwordChangedAt: u.updatedAt,
    lastLoginAt: u.lastLoginAt,
  });
  const nextState = (u: MockUser, s: Session) =>
    s.state === 'mfa_ok'
      ? 'ok'
      : u.mustChangePassword
        ? 'password_change_required'
        : !u.mfaEnrolled
          ? 'mfa_enrol_required'
          : 'mfa_required';

  const summary = (d: MockDevice, now: number) => {
    const last = d.samples[d.samples.length - 1];
    const lastSeenAt = last ? last.receivedAt : null;
    return {
      id: d.id,
      profile: d.profile,
      status: d.status,
      alg: d.alg,
      currentKid: 1,
      online: d.status === 'enabled' && lastSeenAt !== null && now - lastSeenAt <= ONLINE_WINDOW_MS,
      lastSeenAt,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
      certNotAfter: d.certNotAfter,
    };
  };
  const latestOf = (d: MockDevice) => {
    let best: Sample | undefined;
    for (const s of d.samples) if (!best || s.ts >= best.ts) best = s;
    return best
      ? { ts: best.ts, receivedAt: best.receivedAt, backfill: best.backfill, seq: best.seq, data: best.data }
      : null;
  };
  const alarmOpen = (id: string) =>
    [...alarms.values()].some((a) => a.subject === id && a.state !== 'closed');

  const systemStatus = (now: number) => {
    const files = [
      { name: 'vigil.db', bytes: 48_611_328 + counters.readings * 61 },
      { name: 'vigil.db-wal', bytes: 4_120_032 },
      { name: 'vigil.db-shm', bytes: 32_768 },
    ];
    const online = [...devices.values()].filter((d) => summary(d, now).online).length;
    return {
      now,
      uptimeS: Math.round((now - startedAt) / 1000),
      broker: {
        mode: 'embedded',
        listeners: [{ protocol: 'mqtts', address: '0.0.0.0', port: 8883 }],
        connections: { tcp: online + 1, sessions: online + 1, devices: online, services: 1 },
      },
      ingest: {
        ...counters,
        rejected: Object.values(rejections).reduce((a, b) => a + b, 0),
        lastCommitMs: 1.2 + Math.random() * 0.8,
        throughput: {
          acceptedPerSec: 3.4 + Math.random() * 0.5,
          readingsPerSec: 3.4 + Math.random() * 0.5,
          rejectedPerSec: Math.random() < 0.2 ? 0.05 : 0,
          windowMs: 60_000,
        },
      },
      rejections: { sinceStart: { ...rejections }, persisted: { ...persisted } },
      storage: { files, totalBytes: files.reduce((a, f) => a + f.bytes, 0) },
      certificates: {
        server: {
          subject: 'vigil-server',
          serial: '4f1c2a9b7d03e6a5c8b1',
          notAfter: now + 388 * DAY,
          daysLeft: 388,
        },
        ca: {
          subject: 'Vigil Device CA',
          serial: '01a7e3c9f25b6d8e4c20',
          notAfter: now + 3640 * DAY,
          daysLeft: 3640,
        },
      },
      backup: { lastAt: now - 9 * HOUR - 12 * MINUTE, ok: true, bytes: 41_922_560 },
      sinks: [
        {
          name: 'influxdb',
          kind: 'influxdb',
          target: 'https://influx.example.org:8086/write (db vigil)',
          state: 'ok',
          delivered: counters.readings,
          failures: 2,
          refused: 0,
          lastSuccessAt: new Date(now - 800).toISOString(),
          lastFailureAt: new Date(now - 5 * HOUR).toISOString(),
          lastError:
            'VIGIL_ERR_SINK_UNAVAILABLE: sink target unavailable: connect ECONNREFUSED 10.0.4.7:8086',
          failingSince: null,
          nextAttemptAt: null,
          outbox: { pending: 3, dropped: 0, oldestReceivedAt: new Date(now - 900).toISOString() },
        },
        {
          name: 'webhook-5f0c9e21',
          kind: 'webhook',
          target: 'https://hooks.example.net/vigil/readings',
          state: 'failing',
          delivered: 18_240,
          failures: 37,
          refused: 0,
          lastSuccessAt: new Date(now - 42 * MINUTE).toISOString(),
          lastFailureAt: new Date(now - 20_000).toISOString(),
          lastError: 'VIGIL_ERR_SINK_UNAVAILABLE: sink target unavailable: webhook answered 503',
          failingSince: new Date(now - 41 * MINUTE).toISOString(),
          nextAttemptAt: new Date(now + 40_000).toISOString(),
          outbox: { pending: 8_532, dropped: 0, oldestReceivedAt: new Date(now - 41 * MINUTE).toISOString() },
        },
      ],
    };
  };

  // ---------------------------------------------------------------- request handling
  const cookieSid = (req: IncomingMessage): string | null => {
    const m = /(?:^|;\s*)__Host-vigil_session=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
    return m?.[1] ?? null;
  };
  const newSession = (res: ServerResponse, user: string, state: Session['state'], old: string | null) => {
    if (old) sessions.delete(old);
    const sid = randomBytes(32).toString('base64url');
    sessions.set(sid, { user, state, createdAt: Date.now() });
    res.setHeader('set-cookie', `__Host-vigil_session=${sid}; Path=/; Secure; HttpOnly; SameSite=Strict`);
    return sid;
  };

  const readBody = (req: IncomingMessage): Promise<Record<string, unknown>> =>
    new Promise((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024)
          reject(new HttpError(413, 'VIGIL_ERR_BODY_TOO_LARGE', 'Request body too large'));
        else chunks.push(c);
      });
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (!text) return resolveBody({});
        try {
          const v = JSON.parse(text);
          resolveBody(typeof v === 'object' && v !== null ? v : {});
        } catch {
          reject(new HttpError(400, 'VIGIL_ERR_BAD_REQUEST', 'Malformed JSON'));
        }
      });
      req.on('error', reject);
    });

  const serveStatic = (req: IncomingMessage, res: ServerResponse, path: string) => {
    let file = normalize(join(DIST, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) {
      // Hash routing needs only `/`; any other page path gets the app too (deep links).
      if (path.startsWith('/assets/')) {
        res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain' }).end('not found');
        return;
      }
      file = join(DIST, 'index.html');
    }
    if (!existsSync(file)) {
      res
        .writeHead(503, { ...SECURITY_HEADERS, 'content-type': 'text/plain' })
        .end('web/dist missing: run npm run build:web');
      return;
    }
    const immutable = file.includes(`${DIST}/assets/`);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<unknown> => {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const now = Date.now();
    if (method !== 'GET' && method !== 'HEAD') {
      const origin = req.headers.origin;
      if (origin !== `https://${req.headers.host}`) throw new HttpError(403, 'VIGIL_ERR_CSRF', 'Forbidden');
    }
    const sid = cookieSid(req);
    const session = sid ? sessions.get(sid) : undefined;
    const user = session ? users.get(session.user) : undefined;
    const needSignedIn = () => {
      if (!session || !user || user.status !== 'active')
        throw new HttpError(401, 'VIGIL_ERR_AUTH', 'Authentication required');
      return { session, user };
    };
    const need = (perm: string) => {
      const s = needSignedIn();
      if (s.session.state !== 'mfa_ok')
        throw new HttpError(403, 'VIGIL_ERR_MFA_REQUIRED', 'Second factor required');
      if (!(permissionsOf(s.user.role) as string[]).includes(perm))
        throw new HttpError(403, 'VIGIL_ERR_FORBIDDEN', 'Forbidden');
      return s;
    };
    const body = method === 'POST' || method === 'PUT' ? await readBody(req) : {};
    let m: RegExpExecArray | null;

    // ---- auth
    if (method === 'POST' && path === '/auth/login') {
      const name = String(body.username ?? '');
      const recent = (failures.get(name) ?? []).filter((t) => now - t < 15 * MINUTE);
      if (recent.length >= 5) {
        const retry = Math.ceil(((recent[0] ?? now) + 15 * MINUTE - now) / 1000);
        throw new HttpError(429, 'VIGIL_ERR_LOCKED', 'Too many attempts', { 'retry-after': String(retry) });
      }
      const u = users.get(name);
      if (u?.status !== 'active' || u.password !== String(body.password ?? '')) {
        failures.set(name, [...recent, now]);
        throw new HttpError(401, 'VIGIL_ERR_AUTH', 'Authentication failed');
      }
      failures.delete(name);
      const s: Session = { user: u.name, state: 'password_ok', createdAt: now };
      newSession(res, u.name, 'password_ok', sid);
      return { state: nextState(u, s), user: { name: u.name, role: u.role } };
    }
    if (method === 'POST' && path === '/auth/password') {
      const { session: s, user: u } = needSignedIn();
      if (String(body.currentPassword ?? '') !== u.password)
        throw new HttpError(401, 'VIGIL_ERR_AUTH', 'Authentication failed');
      const next = String(body.newPassword ?? '');
      if (next.length < 12 || /^(password|123456|qwerty)/i.test(next))
        throw new HttpError(400, 'VIGIL_ERR_PASSWORD_POLICY', 'Password refused');
      u.password = next;
      u.mustChangePassword = false;
      newSession(res, u.name, s.state, sid);
      return { state: nextState(u, s) };
    }
    if (method === 'POST' && path === '/auth/mfa/enrol') {
      const { user: u } = needSignedIn();
      const secret = createHash('sha256')
        .update(`${u.name}:${now}`)
        .digest('base64')
        .replace(/[^A-Z2-7]/gi, '')
        .toUpperCase()
        .slice(0, 32);
      return {
        secret,
        otpauthUri: `otpauth://totp/Vigil:${u.name}?secret=${secret}&issuer=Vigil&period=30&digits=6&algorithm=SHA1`,
        qrSvg: fakeQrSvg(secret),
      };
    }
    if (method === 'POST' && path === '/auth/mfa/enrol/confirm') {
      const { user: u } = needSignedIn();
      if (!/^\d{6}$/.test(String(body.code ?? '')) || body.code === '000000')
        throw new HttpError(401, 'VIGIL_ERR_TOTP', 'Invalid code');
      u.mfaEnrolled = true;
      newSession(res, u.name, 'mfa_ok', sid);
      const codes = Array.from({ length: 10 }, () => {
        const r = randomBytes(8).toString('hex');
        return `${r.slice(0, 4)}-${r.slice(4, 8)}-${r.slice(8, 12)}`;
      });
      return { state: 'ok', recoveryCodes: codes };
    }
    if (method === 'POST' && path === '/auth/mfa') {
      const { user: u } = needSignedIn();
      const code = String(body.code ?? '');
      const ok = (/^\d{6}$/.test(code) && code !== '000000') || code.length >= 10;
      if (!ok) throw new HttpError(401, 'VIGIL_ERR_TOTP', 'Invalid code');
      u.lastLoginAt = now;
      newSession(res, u.name, 'mfa_ok', sid);
      return { state: 'ok' };
    }
    if (method === 'POST' && path === '/auth/logout') {
      if (sid) sessions.delete(sid);
      res.setHeader(
        'set-cookie',
        '__Host-vigil_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0',
      );
      return null;
    }
    if (method === 'GET' && path === '/auth/me') {
      const { session: s, user: u } = needSignedIn();
      return {
        name: u.name,
        role: u.role,
        mfa: s.state === 'mfa_ok',
        state: nextState(u, s),
        permissions: s.state === 'mfa_ok' ? permissionsOf(u.role) : [],
      };
    }

    // ---- devices and readings
    if (method === 'GET' && path === '/devices') {
      need('devices.read');
      return {
        devices: [...devices.values()].map((d) =>
          opts.listWithoutLatest
            ? summary(d, now)
            : { ...summary(d, now), latest: latestOf(d), alarm: alarmOpen(d.id) ? 'open' : 'none' },
        ),
      };
    }
    if (method === 'POST' && path === '/devices') {
      need('devices.manage');
      const id = String(body.id ?? '');
      const profile = String(body.profile ?? '') as DeviceProfile;
      if (!isDeviceId(id)) throw new HttpError(400, 'VIGIL_ERR_DEVICE_ID', 'Invalid device id');
      if (devices.has(id)) throw new HttpError(409, 'VIGIL_ERR_DEVICE_EXISTS', 'Device exists');
      const d: MockDevice = {
        id,
        profile,
        status: 'enabled',
        alg: 'A256GCM',
        createdAt: now,
        updatedAt: now,
        certNotAfter: now + 825 * DAY,
        model: createModel(profile, { id, seed: id, startTs: now }),
        samples: [],
        buffer: [],
        clock: now,
        seq: 0,
        periodMs: 1e12,
        silentFrom: now,
        holes: [],
      };
      devices.set(id, d);
      const pem = (label: string) =>
        `-----BEGIN ${label}-----\n${randomBytes(180)
          .toString('base64')
          .replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`;
      return {
        device: summary(d, now),
        bundle: {
          'ca.crt': pem('CERTIFICATE'),
          'device.crt': pem('CERTIFICATE'),
          'device.key': pem('PRIVATE KEY'),
          'device.json': JSON.stringify(
            { id, profile, alg: 'A256GCM', kid: 1, secret: randomBytes(32).toString('base64url') },
            null,
            2,
          ),
          'vigil_device_config.h': `/* Vigil device ${id} (mock) */\n#define VIGIL_DEVICE_ID "${id}"\n`,
        },
      };
    }
    m = /^\/devices\/([a-z0-9-]+)$/.exec(path);
    if (m && method === 'GET') {
      need('devices.read');
      const d = devices.get(m[1] ?? '');
      if (!d) throw new HttpError(404, 'VIGIL_ERR_NOT_FOUND', 'Not found');
      return { device: summary(d, now), latest: latestOf(d) };
    }
    m = /^\/devices\/([a-z0-9-]+)\/(enable|disable)$/.exec(path);
    if (m && method === 'POST') {
      need('devices.control');
      const d = devices.get(m[1] ?? '');
      if (!d) throw new HttpError(404, 'VIGIL_ERR_NOT_FOUND', 'Not found');
      d.status = m[2] === 'enable' ? 'enabled' : 'disabled';
      d.updatedAt = now;
      broadcast({ type: 'device', data: summary(d, now) }, 'devices.read');
      return { device: summary(d, now) };
    }
    m = /^\/devices\/([a-z0-9-]+)\/readings$/.exec(path);
    if (m && method === 'GET') {
      need('readings.read');
      const d = devices.get(m[1] ?? '');
      if (!d) throw new HttpError(404, 'VIGIL_ERR_NOT_FOUND', 'Not found');
      const t = (v: string | null) => (v === null ? null : /^\d+$/.test(v) ? Number(v) : Date.parse(v));
      const to = t(url.searchParams.get('to')) ?? now;
      const from = t(url.searchParams.get('from')) ?? to - DAY;
      const maxPoints = Math.min(10_000, Math.max(2, Number(url.searchParams.get('maxPoints') ?? 1000)));
      if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to)
        throw new HttpError(400, 'VIGIL_ERR_VALIDATION', 'Invalid range');
      return series(d, from, to, maxPoints);
    }

    // ---- alarms
    if (method === 'GET' && path === '/alarms') {
      need('alarms.read');
      const state = url.searchParams.get('state');
      return {
        alarms: [...alarms.values()].filter((a) =>
          state === 'active'
            ? a.state !== 'closed'
            : state === 'open' || state === 'acknowledged'
              ? a.state === state
              : true,
        ),
      };
    }
    m = /^\/alarms\/([a-z0-9-]+)\/ack$/.exec(path);
    if (m && method === 'POST') {
      const { user: u } = need('alarms.ack');
      const a = alarms.get(m[1] ?? '');
      if (!a) throw new HttpError(404, 'VIGIL_ERR_NOT_FOUND', 'Not found');
      const reason = String(body.reason ?? '').trim();
      if (!reason) throw new HttpError(400, 'VIGIL_ERR_VALIDATION', 'reason is required');
      a.ack = { by: u.name, at: now, reason };
      a.state = 'acknowledged';
      broadcast({ type: 'alarm', data: a }, 'alarms.read');
      return { alarm: a };
    }

    // ---- system, audit
    if (method === 'GET' && path === '/system') {
      need('system.read');
      return systemStatus(now);
    }
    if (method === 'GET' && path === '/audit') {
      need('audit.read');
      return {
        entries: [
          {
            id: 1,
            ts: now - HOUR,
            actor: 'user:quality',
            action: 'alarm.ack',
            object: 'alm-1041',
            detail: {},
            prevHash: '0'.repeat(64),
            hash: 'a'.repeat(64),
          },
        ],
        more: false,
      };
    }

    // ---- users, tokens
    if (method === 'GET' && path === '/users') {
      need('users.read');
      return { users: [...users.values()].map(userView) };
    }
    if (method === 'POST' && path === '/users') {
      need('users.manage');
      const name = String(body.name ?? '');
      const role = String(body.role ?? '') as Role;
      if (!/^[a-z][a-z0-9._-]{2,31}$/.test(name))
        throw new HttpError(400, 'VIGIL_ERR_USER_NAME', 'Invalid user name');
      if (!ROLES.includes(role)) throw new HttpError(400, 'VIGIL_ERR_VALIDATION', 'Invalid role');
      if (users.has(name)) throw new HttpError(409, 'VIGIL_ERR_USER_EXISTS', 'User exists');
      const oneTimePassword = randomBytes(12).toString('base64url');
      const u: MockUser = {
        name,
        role,
        password: oneTimePassword,
        status: 'active',
        mustChangePassword: true,
        mfaEnrolled: false,
        recoveryCodesLeft: 0,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: null,
      };
      users.set(name, u);
      return { user: userView(u), oneTimePassword };
    }
    m = /^\/users\/([a-z0-9._-]+)\/(disable|enable|reset-mfa)$/.exec(path);
    if (m && method === 'POST') {
      need('users.manage');
      const u = users.get(m[1] ?? '');
      if (!u) throw new HttpError(404, 'VIGIL_ERR_NOT_FOUND', 'Not found');
      if (m[2] === 'disable') u.status = 'disabled';
      if (m[2] === 'enable') u.status = 'active';
      if (m[2] === 'reset-mfa') {
        u.mfaEnrolled = false;
        u.recoveryCodesLeft = 0;
      }
      if (m[2] !== 'enable') for (const [k, s] of sessions) if (s.user === u.name) sessions.delete(k);
      return { user: userView(u) };
    }
    m = /^\/users\/([a-z0-9._-]+)\/sessions$/.exec(path);
    if (m && method === 'DELETE') {
      need('users.manage');
      let ended = 0;
      for (const [k, s] of sessions) {
        if (s.user === m[1]) {
          sessions.delete(k);
          ended++;
        }
      }
      return { ended };
    }
    if (method === 'GET' && path === '/tokens') {
      need('tokens.manage');
      return {
        tokens: [...tokens.values()].map((t) => ({
          ...t,
          status: t.revokedAt ? 'revoked' : t.expiresAt < now ? 'expired' : 'active',
        })),
      };
    }
    if (method === 'POST' && path === '/tokens') {
      const { user: u } = need('tokens.manage');
      const id = randomBytes(8).toString('hex');
      const role = String(body.role ?? 'viewer') as Role;
      const t = {
        id,
        label: String(body.label ?? 'token').slice(0, 64),
        role,
        createdBy: u.name,
        createdAt: now,
        expiresAt: now + Number(body.ttlDays ?? 90) * DAY,
        revokedAt: null,
        lastUsedAt: null,
      };
      tokens.set(id, t);
      return {
        token: `vgl_${id}_${randomBytes(32).toString('base64url')}`,
        view: { ...t, status: 'active' },
      };
    }
    m = /^\/tokens\/([0-9a-f]+)$/.exec(path);
    if (m && method === 'DELETE') {
      need('tokens.manage');
      const t = tokens.get(m[1] ?? '');
      if (!t) throw new HttpError(404, 'VIGIL_ERR_NOT_FOUND', 'Not found');
      t.revokedAt = now;
      return null;
    }
    throw new HttpError(404, 'VIGIL_ERR_NOT_FOUND', 'Not found');
  };

  const server: Server = createServer(
    { cert: pki.server.certPem, key: pki.server.keyPkcs8Pem },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      if (!url.pathname.startsWith('/api/')) return serveStatic(req, res, url.pathname);
      handleApi(req, res, url).then(
        (out) => {
          if (out === null) {
            res.writeHead(204, { ...SECURITY_HEADERS, 'cache-control': 'no-store' }).end();
            return;
          }
          res.writeHead(200, {
            ...SECURITY_HEADERS,
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
          });
          res.end(JSON.stringify(out));
        },
        (err: unknown) => {
          const e =
            err instanceof HttpError ? err : new HttpError(500, 'VIGIL_ERR_INTERNAL', 'Internal error');
          if (!(err instanceof HttpError)) console.error(err);
          res.writeHead(e.status, {
            ...SECURITY_HEADERS,
            ...e.headers,
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
          });
          res.end(JSON.stringify({ error: { code: e.code, message: e.message } }));
        },
      );
    },
  );

  // ---------------------------------------------------------------- live feed
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Map<WebSocket, Role>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const sid = cookieSid(req);
    const s = sid ? sessions.get(sid) : undefined;
    const u = s ? users.get(s.user) : undefined;
    if (
      url.pathname !== '/api/v1/live' ||
      !s ||
      !u ||
      s.state !== 'mfa_ok' ||
      req.headers.origin !== `https://${req.headers.host}`
    ) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.set(ws, u.role);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
    });
  });
  const broadcast = (msg: unknown, perm: string) => {
    const text = JSON.stringify(msg);
    for (const [ws, role] of clients) {
      if (!(permissionsOf(role) as string[]).includes(perm)) continue;
      // Bounded per-client queue: a slow client is dropped, as the real feed does.
      if (ws.bufferedAmount > 1_000_000) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.send(text);
    }
  };

  const tickMs = opts.tickMs ?? 1000;
  const tick = setInterval(() => {
    const now = Date.now();
    for (const d of devices.values()) {
      if (now - d.clock < d.periodMs) continue;
      const before = d.samples.length;
      stepDevice(d, now);
      for (const s of d.samples.slice(before)) {
        counters.accepted++;
        counters.readings++;
        broadcast(
          {
            type: 'reading',
            data: {
              deviceId: d.id,
              ts: s.ts,
              receivedAt: s.receivedAt,
              backfill: s.backfill,
              seq: s.seq,
              data: s.data,
            },
          },
          'readings.read',
        );
      }
      // Bounded memory for a long-running mock.
      if (d.samples.length > 200_000) d.samples.splice(0, d.samples.length - 200_000);
    }
    counters.commits++;
    if (Math.random() < 0.02) rejections.VIGIL_ERR_REPLAY = (rejections.VIGIL_ERR_REPLAY ?? 0) + 1;
  }, tickMs);
  const sysTick = setInterval(
    () => broadcast({ type: 'system', data: systemStatus(Date.now()) }, 'system.read'),
    5000,
  );

  await new Promise<void>((ok) => server.listen(opts.port ?? 0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://localhost:${port}`,
    port,
    async close() {
      clearInterval(tick);
      clearInterval(sysTick);
      for (const ws of clients.keys()) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8443' },
      'fresh-admin': { type: 'boolean', default: false },
      'history-days': { type: 'string', default: '8' },
      'list-without-latest': { type: 'boolean', default: false },
    },
  });
  const t0 = Date.now();
  const api = await startMockApi({
    port: Number(values.port),
    freshAdmin: values['fresh-admin'],
    historyDays: Number(values['history-days']),
    listWithoutLatest: values['list-without-latest'],
  });
  console.log(`mock Vigil API on ${api.url} (fleet built in ${Date.now() - t0} ms)`);
  console.log(`users: ${ROLES.join(', ')}; password ${MOCK_PASSWORD}; any 6-digit code except 000000`);
  if (!existsSync(join(DIST, 'index.html'))) console.log('web/dist missing: run npm run build:web');
  const stop = () => void api.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
