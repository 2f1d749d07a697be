/**
 * The API's route x role matrix against a running server: every operation of its own OpenAPI
 * document (each carries `x-vigil-access`) x {nobody, each role with MFA done, each role with the
 * password only, an API token of each role}, compared with the permission table (src/auth/rbac.ts).
 */
import { checkAccess, type RouteAccess } from '../../api/access.ts';
import { type Principal, ROLES, type Role } from '../../auth/principal.ts';
import { type ApiResponse, ApiSession, apiRequest, errCode } from '../https-client.ts';
import type { Lab } from '../lab.ts';
import { errorOutcome, QUICK_AND_FULL, refusedIf, type Scenario } from '../scenario.ts';

type Who =
  | { kind: 'nobody' }
  | { kind: 'session'; role: Role; mfa: boolean; session: ApiSession }
  | { kind: 'token'; role: Role; token: string };

interface Route {
  method: string;
  path: string;
  access: RouteAccess;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Routes the OpenAPI document leaves out (`hide: true`), with their access rules. */
const HIDDEN_ROUTES: Route[] = [
  { method: 'GET', path: '/api/v1/openapi.json', access: 'openapi.read' },
  { method: 'GET', path: '/', access: 'public' },
];

function label(w: Who): string {
  if (w.kind === 'nobody') return 'nobody';
  if (w.kind === 'token') return `${w.role} token`;
  return `${w.role}${w.mfa ? '+mfa' : ' (password only)'}`;
}

/** The answer the permission table promises: `allowed`, or the refusal's status and code. */
function expected(r: Route, w: Who, adminRole: Role): { allowed: true } | { status: number; code: string } {
  const p: Principal | null =
    w.kind === 'nobody'
      ? null
      : w.kind === 'token'
        ? {
            kind: 'token',
            name: 'seclab',
            role: w.role,
            mfa: true,
            owner: { name: 'seclab-admin', role: adminRole },
          }
        : { kind: 'user', name: 'seclab', role: w.role, mfa: w.mfa };
  const code = checkAccess(p, r.access);
  // /metrics takes bearer tokens only (a scraper is not a browser): a session the table lets
  // through gets 401 there.
  if (code === null && r.path === '/metrics' && w.kind === 'session')
    return { status: 401, code: 'VIGIL_ERR_AUTH' };
  if (code === null) return { allowed: true };
  return { status: code === 'VIGIL_ERR_AUTH' ? 401 : 403, code };
}

function request(lab: Lab, r: Route, w: Who): Promise<ApiResponse> {
  const write = STATE_CHANGING.has(r.method);
  const path = r.path.replace(/\{(\w+)\}/g, 'sample-$1');
  return apiRequest(lab.target.httpUrl, lab.target.caPem, {
    method: r.method,
    path,
    headers: {
      origin: lab.target.httpUrl,
      accept: 'application/json',
      ...(w.kind === 'session' && w.session.token
        ? { cookie: `__Host-vigil_session=${w.session.token}` }
        : {}),
      ...(w.kind === 'token' ? { authorization: `Bearer ${w.token}` } : {}),
      ...(write ? { 'content-type': 'application/json' } : {}),
    },
    // Harmless by construction: a caller the guard lets through gets 400 for the malformed body,
    // which is parsed after the access check and before any handler.
    ...(write ? { body: '{' } : {}),
  });
}

async function routesOf(lab: Lab): Promise<Route[]> {
  const admin = await lab.admin();
  const r = await admin.session.call('/api/v1/openapi.json');
  if (r.status !== 200) throw new Error(`GET /api/v1/openapi.json: ${r.status}`);
  const doc = r.json as { paths: Record<string, Record<string, { 'x-vigil-access'?: string }>> };
  const routes: Route[] = [...HIDDEN_ROUTES];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === 'parameters' || method === 'head') continue;
      const access = op['x-vigil-access'];
      if (!access)
        throw new Error(`${method.toUpperCase()} ${path} has no x-vigil-access (an older server?)`);
      routes.push({ method: method.toUpperCase(), path, access: access as RouteAccess });
    }
  }
  return routes;
}

async function principals(lab: Lab): Promise<Who[]> {
  const admin = await lab.admin();
  const whos: Who[] = [{ kind: 'nobody' }];
  for (const role of ROLES) {
    const u = await lab.user(role);
    whos.push({ kind: 'session', role, mfa: true, session: u.session });
    const half = new ApiSession(lab.target.httpUrl, lab.target.caPem);
    const login = await half.post('/api/v1/auth/login', { username: u.name, password: u.password });
    if (login.status !== 200) throw new Error(`password-only login of ${u.name}: ${login.status}`);
    whos.push({ kind: 'session', role, mfa: false, session: half });
    const t = await admin.session.post('/api/v1/tokens', { label: `seclab ${role}`, role, ttlDays: 1 });
    if (t.status !== 201) throw new Error(`token for ${role}: ${t.status} ${t.text.slice(0, 120)}`);
    whos.push({ kind: 'token', role, token: (t.json as { token: string }).token });
  }
  return whos;
}

export const roleMatrix: Scenario = {
  id: 'api.role-matrix',
  family: 'unauthorized',
  title: 'The API route x role matrix',
  attacked:
    "every API operation (from the server's own OpenAPI document) as nobody, as each role with and without the second factor, and with an API token of each role",
  expected:
    'every cell answers as the permission table says: 401 VIGIL_ERR_AUTH, 403 VIGIL_ERR_FORBIDDEN or VIGIL_ERR_MFA_REQUIRED, or through',
  layers: ['api-auth'],
  properties: ['confidentiality', 'integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 300_000,
  run: async (ctx) => {
    try {
      const { lab } = ctx;
      const routes = await routesOf(lab);
      const whos = await principals(lab);
      const cells = routes.flatMap((r) => whos.map((w) => ({ r, w })));
      const mismatches: string[] = [];
      let looser = 0;
      let through = 0;
      let refused = 0;
      const queue = [...cells];
      const worker = async () => {
        for (let c = queue.shift(); c && !ctx.signal.aborted; c = queue.shift()) {
          const want = expected(c.r, c.w, 'admin');
          const res = await request(lab, c.r, c.w);
          const code = errCode(res);
          const name = `${c.r.method} ${c.r.path} as ${label(c.w)}`;
          if ('allowed' in want) {
            if (res.status === 401 || res.status === 403)
              mismatches.push(`${name}: refused ${res.status} ${code ?? ''}, the table allows it`);
            else through++;
          } else if (res.status !== want.status || (res.json !== undefined && code !== want.code)) {
            if (res.status !== 401 && res.status !== 403) looser++;
            mismatches.push(`${name}: got ${res.status} ${code ?? ''}, want ${want.status} ${want.code}`);
          } else refused++;
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      const done = through + refused + mismatches.length;
      const evidence = [
        `${routes.length} operations x ${whos.length} callers = ${cells.length} cells; ${done} requested`,
        `${refused} refused as the table says, ${through} let through as the table says, ${mismatches.length} differ`,
        ...mismatches.slice(0, 12),
        ...(mismatches.length > 12 ? [`... and ${mismatches.length - 12} more`] : []),
      ];
      if (done !== cells.length)
        return { verdict: 'error', observed: `only ${done} of ${cells.length} cells requested`, evidence };
      // A cell stricter than the table is a functional defect, not a way in; a looser one is.
      return refusedIf(
        looser === 0,
        mismatches.length === 0
          ? `all ${cells.length} cells as the permission table says`
          : looser > 0
            ? `${looser} cells let a caller through that the table refuses`
            : `no cell looser than the table; ${mismatches.length} stricter (refused where allowed)`,
        evidence,
      );
    } catch (err) {
      return errorOutcome(err);
    }
  },
};
