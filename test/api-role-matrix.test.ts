/**
 * THE role matrix: every API route (from the server's own route table) x every role x {MFA done,
 * password only}, plus no session at all, against the expected status derived from
 * PERMISSIONS (src/auth/rbac.ts). Real accounts and sessions, real HTTPS.
 *
 * Requests are harmless by construction: a state-changing request carries a malformed JSON body,
 * so a caller the guard lets through gets 400 VIGIL_ERR_MALFORMED_BODY (the body is parsed after
 * the access check and before any handler), and a refused one gets 401/403 with its code. Reads
 * are made for real and must answer their documented status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type Principal, ROLES, type Role } from '../src/auth/principal.ts';
import { can, PERMISSIONS } from '../src/auth/rbac.ts';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { type ApiResponse, apiRequest } from './helpers/api-client.ts';
import { type Browser, enrolledUser, errCode, passwordOnly } from './helpers/browser.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

let inst: Instance;
let alarmPath = '';
let shipmentPath = '';
/** Per role: a fully signed-in session and a password-only one. */
const sessions = new Map<Role, { full: Browser; half: Browser }>();

/** What an allowed GET answers (the dashboard is not built here: `/` says so with 503). */
function getSamples(): Record<string, { path: string; status: number; headers?: Record<string, string> }> {
  return {
    '/healthz': { path: '/healthz', status: 200 },
    // Sessions are not scrapers: /metrics takes bearer tokens only.
    '/metrics': { path: '/metrics', status: 401 },
    '/api/v1/devices': { path: '/api/v1/devices', status: 200 },
    '/api/v1/devices/:id': { path: '/api/v1/devices/truck-0801', status: 200 },
    '/api/v1/devices/:id/readings': { path: '/api/v1/devices/truck-0801/readings', status: 200 },
    '/api/v1/devices/:id/commands': { path: '/api/v1/devices/truck-0801/commands', status: 200 },
    '/api/v1/claims': { path: '/api/v1/claims', status: 200 },
    '/api/v1/firmware': { path: '/api/v1/firmware', status: 200 },
    '/api/v1/ota/campaigns': { path: '/api/v1/ota/campaigns', status: 200 },
    '/api/v1/ota/campaigns/:id': {
      path: '/api/v1/ota/campaigns/00000000-0000-4000-8000-000000000000',
      status: 404,
    },
    '/api/v1/gateways': { path: '/api/v1/gateways', status: 200 },
    '/api/v1/devices/:id/lifecycle': { path: '/api/v1/devices/truck-0801/lifecycle', status: 200 },
    '/api/v1/devices/:id/reported': { path: '/api/v1/devices/truck-0801/reported', status: 200 },
    '/api/v1/system/lifecycle': { path: '/api/v1/system/lifecycle', status: 200 },
    '/api/v1/devices/:id/display': { path: '/api/v1/devices/truck-0801/display', status: 200 },
    '/api/v1/audit': { path: '/api/v1/audit?limit=1', status: 200 },
    '/api/v1/audit/verify': { path: '/api/v1/audit/verify', status: 200 },
    '/api/v1/system': { path: '/api/v1/system', status: 200 },
    '/api/v1/dashboard/settings': { path: '/api/v1/dashboard/settings', status: 200 },
    '/api/v1/openapi.json': { path: '/api/v1/openapi.json', status: 200 },
    '/api/v1/auth/me': { path: '/api/v1/auth/me', status: 200 },
    '/api/v1/users': { path: '/api/v1/users', status: 200 },
    '/api/v1/sessions': { path: '/api/v1/sessions', status: 200 },
    '/api/v1/tokens': { path: '/api/v1/tokens', status: 200 },
    '/api/v1/alarms': { path: '/api/v1/alarms', status: 200 },
    '/api/v1/alarms/:id': { path: alarmPath, status: 200 },
    '/api/v1/shipments': { path: '/api/v1/shipments', status: 200 },
    '/api/v1/shipments/:id': { path: shipmentPath, status: 200 },
    '/api/v1/shipments/:id/report': { path: `${shipmentPath}/report?format=csv`, status: 200 },
    '/api/v1/live': { path: '/api/v1/live', status: 426 },
    '/api/v1/seclab': { path: '/api/v1/seclab', status: 200 },
    '/api/v1/seclab/runs/:id/files/:name': {
      path: '/api/v1/seclab/runs/2026-01-01T00-00-00-000Z/files/seclab-report.md',
      status: 404,
    },
    ...Object.fromEntries(
      [
        'contacts',
        'groups',
        'rules',
        'policies',
        'schedules',
        'channels',
        'on-call',
        'escalations',
        'push',
      ].map((k) => [`/api/v1/notifications/${k}`, { path: `/api/v1/notifications/${k}`, status: 200 }]),
    ),
    '/api/v1/alarms/:id/notifications': { path: `${alarmPath}/notifications`, status: 200 },
    '/': { path: '/', status: 503 },
    '/*': { path: '/devices/truck-0801', status: 503, headers: { accept: 'text/html' } },
  };
}

type Who = { role: Role; mfa: boolean } | null;

/** The expected answer of `access` for `who`, from PERMISSIONS alone. */
function expected(access: string, who: Who, allowed: number): { status: number; code?: string } {
  if (access === 'public') return { status: allowed };
  if (!who) return { status: 401, code: 'VIGIL_ERR_AUTH' };
  if (access === 'signed-in') return { status: allowed };
  const p: Principal = { kind: 'user', name: 'x', role: who.role, mfa: who.mfa };
  switch (can(p, access as keyof typeof PERMISSIONS)) {
    case 'ok':
      return { status: allowed };
    case 'mfa_required':
      return { status: 403, code: 'VIGIL_ERR_MFA_REQUIRED' };
    default:
      return { status: 403, code: 'VIGIL_ERR_FORBIDDEN' };
  }
}

function cookieOf(who: Who): Record<string, string> {
  if (!who) return {};
  const s = sessions.get(who.role);
  const b = who.mfa ? s?.full : s?.half;
  return b?.token ? { cookie: `${SESSION_COOKIE}=${b.token}` } : {};
}

before(async () => {
  inst = await startInstance({}, undefined, { webRoot: '/nonexistent-vigil-web' });
  await inst.addDevice('truck-0801');
  const { alarm } = await inst.server.alarms.open(
    { rule: 'heat', subject: 'truck-0801', startedAt: 1, raisedAt: 2, severity: 'warning', message: 'warm' },
    Date.now(),
  );
  alarmPath = `/api/v1/alarms/${encodeURIComponent(alarm.id)}`;
  const shipment = await inst.server.shipments.create({ deviceId: 'truck-0801' }, 'test');
  shipmentPath = `/api/v1/shipments/${shipment.id}`;
  for (const role of ROLES) {
    const u = await enrolledUser(inst, `mx-${role}`, role);
    sessions.set(role, { full: u.browser, half: await passwordOnly(inst, u.name, u.password) });
  }
});

after(async () => {
  await inst?.destroy();
});

describe('role matrix', () => {
  it('every route x every role x {MFA done, password only, no session} answers as PERMISSIONS says', async () => {
    const routes = inst.server.routes;
    assert.ok(routes.length > 40, `${routes.length} routes`);
    const samples = getSamples();
    const whos: Who[] = [null, ...ROLES.flatMap((role) => [true, false].map((mfa) => ({ role, mfa })))];
    const cases: {
      label: string;
      run: () => Promise<ApiResponse>;
      want: { status: number; code?: string };
    }[] = [];
    for (const r of routes) {
      assert.ok(
        r.access === 'public' || r.access === 'signed-in' || Object.hasOwn(PERMISSIONS, r.access),
        `${r.method} ${r.url}: ${r.access}`,
      );
      const read = r.method === 'GET' || r.method === 'HEAD';
      const sample = samples[r.url];
      if (read) assert.ok(sample, `the matrix needs a sample request for ${r.method} ${r.url}`);
      const path = read ? (sample?.path ?? r.url) : r.url.replace(/:(\w+)/g, 'sample-$1');
      const allowed = read ? (sample?.status ?? 200) : 400;
      for (const who of whos) {
        const want = expected(r.access, who, allowed);
        cases.push({
          label: `${r.method} ${r.url} as ${who ? `${who.role}${who.mfa ? '+mfa' : ' (password only)'}` : 'nobody'}`,
          want,
          run: () =>
            apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
              method: r.method,
              path,
              headers: {
                origin: inst.httpUrl,
                ...(sample?.headers ?? {}),
                ...cookieOf(who),
                ...(read ? {} : { 'content-type': 'application/json' }),
              },
              ...(read ? {} : { body: '{' }),
            }),
        });
      }
    }
    const failures: string[] = [];
    const queue = [...cases];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const r = await c.run();
        const code = errCode(r);
        const wantCode = c.want.code ?? (c.want.status === 400 ? 'VIGIL_ERR_MALFORMED_BODY' : undefined);
        const codeOk = r.json === undefined || wantCode === undefined || code === wantCode;
        if (r.status !== c.want.status || !codeOk) {
          failures.push(`${c.label}: got ${r.status} ${code ?? ''}, want ${c.want.status} ${wantCode ?? ''}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cells differ`);
    assert.ok(cases.length >= routes.length * 13);
  });

  it('the live-feed handshake follows the same rule: MFA done -> open, password only -> 403, nobody -> 401', async () => {
    const url = `${inst.httpUrl.replace('https:', 'wss:')}/api/v1/live`;
    const attempt = (who: Who) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url, {
          ca: inst.ctx.ca.certPem,
          origin: inst.httpUrl,
          headers: cookieOf(who),
        });
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('error', reject);
      });
    assert.equal(await attempt(null), 401);
    for (const role of ROLES) {
      assert.equal(await attempt({ role, mfa: true }), 101, role);
      assert.equal(await attempt({ role, mfa: false }), 403, `${role} password only`);
    }
  });
});
