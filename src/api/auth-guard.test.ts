import assert from 'node:assert/strict';
import type { Server as HttpsServer } from 'node:https';
import { before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Authenticator, Principal } from '../auth/principal.ts';
import { CONFIG_DEFAULTS } from '../config/schema.ts';
import { isVigilError } from '../errors.ts';
import { makeTestPki, type TestPki } from '../pki/test-pki.fixture.ts';
import type { ApiRuntime, ApiServer, RoutePlugin } from './api-deps.ts';
import { buildApiServer } from './api-server.ts';
import { installAuthGuard } from './auth-guard.ts';
import { installErrorHandler } from './error-handler.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { LoopLagMonitor } from './loop-lag.ts';
import { ThroughputMeter } from './throughput-meter.ts';

const admin: Principal = { kind: 'user', name: 'root-admin', role: 'admin', mfa: true };
/** Everybody is a fully signed-in admin: only the guard's own rule can refuse. */
const alwaysAdmin: Authenticator = { authenticate: async () => admin };

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

function runtime(): ApiRuntime {
  return {
    commitLatency: new LatencyHistogram(),
    throughput: new ThroughputMeter(60_000),
    loopLag: new LoopLagMonitor(),
    startedAt: 0,
    serverCertPem: pki.server.certPem,
    routes: [],
  };
}

async function build(routes: RoutePlugin[]): Promise<ApiServer> {
  return buildApiServer(
    {
      listen: { host: '127.0.0.1', port: 0 },
      limits: CONFIG_DEFAULTS.http,
      rejections: { record: () => {} },
      tls: { cert: pki.server.certPem, key: pki.server.keyPkcs8Pem },
      logger: pino({ level: 'silent' }),
      clock: () => 0,
      authenticator: alwaysAdmin,
      ingest: {
        stats: { accepted: 0, rejected: 0, readings: 0, commits: 0, lastCommitMs: 0 },
        onCommit: () => () => {},
      },
      routes,
    },
    runtime(),
  );
}

describe('route guard (fail closed)', () => {
  it('refuses to build a server with a route that declares no access rule', async () => {
    let handlerRan = false;
    const noAccess: RoutePlugin = async (app) => {
      app.get('/api/v1/test/no-access', async () => {
        handlerRan = true;
        return { ok: true };
      });
    };
    await assert.rejects(
      build([noAccess]),
      (e) => isVigilError(e, 'VIGIL_ERR_CONFIG') && /declares no access rule/.test(e.message),
    );
    assert.equal(handlerRan, false);
  });

  it('refuses to build a server with a route whose access rule is not a known permission', async () => {
    const typo: RoutePlugin = async (app) => {
      app.get('/api/v1/test/typo', { config: { access: 'devices.raed' as never } }, async () => ({
        ok: true,
      }));
    };
    await assert.rejects(build([typo]), (e) => isVigilError(e, 'VIGIL_ERR_CONFIG'));
  });

  it('answers 403 for a route that escaped the start-up check (added before the guard), even to an admin', async () => {
    // A route registered before the guard's onRoute hook exists is never checked at start-up:
    // the per-request check must still refuse it rather than treat "no rule" as "public".
    const app = Fastify() as unknown as FastifyInstance<HttpsServer>;
    let handlerRan = false;
    app.get('/early', async () => {
      handlerRan = true;
      return { secret: 'should not be served' };
    });
    installErrorHandler(app as unknown as ApiServer);
    installAuthGuard(app as unknown as ApiServer, alwaysAdmin);
    app.get('/declared', { config: { access: 'devices.read' } }, async () => ({ ok: true }));
    try {
      const early = await app.inject({ method: 'GET', url: '/early' });
      assert.equal(early.statusCode, 403, early.body);
      assert.equal((early.json() as { error?: { code?: string } }).error?.code, 'VIGIL_ERR_FORBIDDEN');
      assert.equal(handlerRan, false);
      assert.ok(!early.body.includes('should not be served'));
      // the same guard lets a declared route through
      assert.equal((await app.inject({ method: 'GET', url: '/declared' })).statusCode, 200);
    } finally {
      await app.close();
    }
  });
});
