import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Authenticator, Principal } from '../../auth/principal.ts';
import { ERRORS, type ErrorCode, VigilError } from '../../errors.ts';
import type { LiveType } from '../../live/live-bus.ts';
import { checkAccess } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { isBearer, originAllowed } from '../csrf-guard.ts';
import { errorBody } from '../error-handler.ts';
import {
  CLOSE_GOING_AWAY,
  CLOSE_SESSION_ENDED,
  DEFAULT_LIVE_CLIENT_LIMITS,
  LIVE_PERMISSIONS,
  LiveClient,
  type LiveClientLimits,
} from '../live-client.ts';
import type { DeviceReads, LiveFeed, StatusSources } from '../ports.ts';
import { SECURITY_HEADERS } from '../security-headers.ts';
import { systemStatus, systemStatusView } from '../system-status.ts';
import { summarize } from './devices.ts';

export const LIVE_PATH = '/api/v1/live';

/** Bounds and periods of the live feed. */
export interface LiveLimits extends LiveClientLimits {
  /** How often each connection's session (or token) is checked again. Default 30 s. */
  recheckMs: number;
  /** WebSocket ping period; a peer that has not answered the previous ping is cut. Default 30 s. */
  pingMs: number;
  /** How often system status and device changes are pushed. Default 5 s. */
  sampleMs: number;
  /** Connections in total. Default 500. */
  maxClients: number;
  /** Connections per user or token. Default 20. */
  maxClientsPerPrincipal: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  ...DEFAULT_LIVE_CLIENT_LIMITS,
  recheckMs: 30_000,
  pingMs: 30_000,
  sampleMs: 5_000,
  maxClients: 500,
  maxClientsPerPrincipal: 20,
};

/** The credentials a connection was opened with (kept to check a token again). */
export interface LiveCredentials {
  cookie?: string | undefined;
  authorization?: string | undefined;
}

/** Dependencies of {@link liveRoutes}. */
export interface LiveFeedDeps {
  bus: LiveFeed;
  authenticator: Authenticator;
  /** Devices, for the `device` messages. */
  devices: Pick<DeviceReads, 'listDevices'>;
  /** What the `system` messages report. */
  status: StatusSources;
  clock: () => number;
  /**
   * The principal as it stands now, or null when its session expired or ended, the user was
   * disabled or the token revoked. Must not count as user activity (the idle timeout keeps
   * running while a dashboard only listens).
   */
  revalidate: (p: Principal, credentials: LiveCredentials) => Promise<Principal | null>;
  limits?: Partial<LiveLimits>;
  /** Called once per client dropped for being too slow (to count it). */
  onDrop?: () => void;
}

/** Counters of the live feed since start. */
export interface LiveStats {
  /** Connections open now. */
  clients: number;
  accepted: number;
  refused: number;
  /** Dropped for falling behind (close 1013). */
  dropped: number;
  /** Closed because the session expired or ended (close 4401). */
  sessionEnded: number;
}

interface Connection {
  client: LiveClient;
  ws: WebSocket;
  credentials: LiveCredentials;
  key: string;
  alive: boolean;
}

/** A refusal before the upgrade: an HTTP answer in the API's error format, then the socket ends. */
function refuse(socket: Duplex, code: ErrorCode, extra: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = ERRORS[code].status;
  const body = JSON.stringify(errorBody(code));
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    connection: 'close',
    ...extra,
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('')}\r\n${body}`);
}

/**
 * The live feed, `GET /api/v1/live` upgraded to a WebSocket (RFC 6455) on the API's own HTTPS
 * server. The handshake is checked before upgrading, each failure answered in the API's error
 * format: path, Origin equal to this server (a browser sends cookies with a cross-site WebSocket
 * handshake, so this is the CSRF check; bearer clients are exempt as on POST), a session (or
 * token) that completed MFA and may read at least one kind of message, and connection limits.
 * Each client then gets the bus's frames its role may read, through a bounded queue
 * (src/api/live-client.ts); sessions are checked again every `recheckMs`. Clients send nothing;
 * their messages are ignored (4 KiB max).
 */
export function liveRoutes(deps: LiveFeedDeps): { plugin: RoutePlugin; stats: LiveStats } {
  const limits: LiveLimits = { ...DEFAULT_LIVE_LIMITS, ...deps.limits };
  const stats: LiveStats = { clients: 0, accepted: 0, refused: 0, dropped: 0, sessionEnded: 0 };
  const connections = new Set<Connection>();

  const plugin: RoutePlugin = async (app, { runtime }) => {
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: 4096,
      perMessageDeflate: false,
      clientTracking: false,
    });
    let closing = false;

    const unsubscribe = deps.bus.subscribe((frame) => {
      for (const c of connections) c.client.offer(frame);
    });

    const perKey = (key: string) => {
      let n = 0;
      for (const c of connections) if (c.key === key) n++;
      return n;
    };

    const accept = (ws: WebSocket, principal: Principal, credentials: LiveCredentials) => {
      const client = new LiveClient(
        ws,
        principal,
        () => {
          stats.dropped++;
          deps.onDrop?.();
        },
        limits,
      );
      const conn: Connection = {
        client,
        ws,
        credentials,
        key: `${principal.kind}:${principal.name}`,
        alive: true,
      };
      connections.add(conn);
      stats.accepted++;
      stats.clients = connections.size;
      ws.on('pong', () => {
        conn.alive = true;
      });
      ws.on('error', () => {
        // ws closes the connection after a protocol error; nothing to add.
      });
      ws.on('message', () => {
        // One-way feed: client messages are ignored.
      });
      ws.on('close', () => {
        client.markClosed();
        connections.delete(conn);
        stats.clients = connections.size;
      });
      // The current system status at once, so a new page is not empty for up to `sampleMs`.
      if (client.allows('system')) {
        void systemStatus(deps.status, runtime)
          .then((s) =>
            client.offer({
              type: 'system',
              json: JSON.stringify({ type: 'system', data: systemStatusView(s) }),
            }),
          )
          .catch(() => {});
      }
    };

    const deny = (socket: Duplex, code: ErrorCode, extra?: Record<string, string>) => {
      stats.refused++;
      refuse(socket, code, extra);
    };

    const handshake = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== LIVE_PATH) return deny(socket, 'VIGIL_ERR_NOT_FOUND');
      if (closing) return deny(socket, 'VIGIL_ERR_UNAVAILABLE');
      const h = req.headers;
      const authorization = typeof h.authorization === 'string' ? h.authorization : undefined;
      // A WebSocket handshake is a GET that a foreign page can start with the user's cookies
      // (cross-site WebSocket hijacking): apply the rule of state-changing requests.
      const originOk = originAllowed('POST', {
        ...(typeof h.origin === 'string' ? { origin: h.origin } : {}),
        ...(typeof h.host === 'string' ? { host: h.host } : {}),
        ...(authorization !== undefined ? { authorization } : {}),
      });
      if (!originOk) return deny(socket, 'VIGIL_ERR_CSRF');
      const credentials: LiveCredentials = isBearer(authorization)
        ? { authorization }
        : { cookie: h.cookie, authorization };
      const principal = await deps.authenticator.authenticate(credentials);
      // Allowed when at least one kind of message may be read; else the first refusal.
      const refusals = Object.values(LIVE_PERMISSIONS).map((p) => checkAccess(principal, p));
      if (!refusals.includes(null)) return deny(socket, refusals[0] ?? 'VIGIL_ERR_FORBIDDEN');
      if (!principal) return deny(socket, 'VIGIL_ERR_AUTH');
      if (connections.size >= limits.maxClients) return deny(socket, 'VIGIL_ERR_UNAVAILABLE');
      if (perKey(`${principal.kind}:${principal.name}`) >= limits.maxClientsPerPrincipal) {
        return deny(socket, 'VIGIL_ERR_RATE_LIMIT', { 'retry-after': '30' });
      }
      if (closing) return deny(socket, 'VIGIL_ERR_UNAVAILABLE');
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, principal, credentials));
    };

    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      handshake(req, socket, head).catch((err: unknown) => {
        app.log.error({ err }, 'live feed handshake failed');
        deny(socket, 'VIGIL_ERR_INTERNAL');
      });
    };
    app.server.on('upgrade', onUpgrade);

    const recheck = async () => {
      for (const c of [...connections]) {
        if (c.client.closed) continue;
        let next: Principal | null;
        try {
          next = await deps.revalidate(c.client.principal, c.credentials);
        } catch {
          continue; // a store hiccup is not a reason to cut everyone off
        }
        const ok =
          next !== null && Object.values(LIVE_PERMISSIONS).some((p) => checkAccess(next, p) === null);
        if (!next || !ok) {
          stats.sessionEnded++;
          c.client.close(CLOSE_SESSION_ENDED, 'session ended');
          continue;
        }
        c.client.setPrincipal(next);
      }
    };

    const ping = () => {
      for (const c of connections) {
        if (!c.alive) {
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        try {
          c.ws.ping();
        } catch {
          // closing
        }
      }
    };

    // Device changes worth a message: status, online/offline, key or certificate. A new reading
    // alone is not one (the reading itself is pushed).
    let lastDevices: Map<string, string> | null = null;
    const sample = async () => {
      if (connections.size === 0) return;
      const wants = (t: LiveType) => [...connections].some((c) => c.client.allows(t));
      if (wants('system'))
        deps.bus.publish('system', systemStatusView(await systemStatus(deps.status, runtime)));
      if (!wants('device')) return;
      const now = deps.clock();
      const next = new Map<string, string>();
      const changed = [];
      for (const d of await deps.devices.listDevices()) {
        const s = summarize(d, now);
        const key = JSON.stringify([s.status, s.online, s.alg, s.currentKid, s.certNotAfter]);
        next.set(d.id, key);
        if (lastDevices && lastDevices.get(d.id) !== key) changed.push(s);
      }
      lastDevices = next;
      for (const s of changed) deps.bus.publish('device', s);
    };

    const timers = [
      setInterval(() => void recheck().catch(() => {}), limits.recheckMs),
      setInterval(ping, limits.pingMs),
      setInterval(
        () => void sample().catch((err: unknown) => app.log.warn({ err }, 'live sample failed')),
        limits.sampleMs,
      ),
    ];
    for (const t of timers) t.unref();

    app.addHook('preClose', async () => {
      closing = true;
      for (const c of connections) c.client.close(CLOSE_GOING_AWAY, 'server stopping');
    });
    app.addHook('onClose', async () => {
      for (const t of timers) clearInterval(t);
      unsubscribe();
      app.server.off('upgrade', onUpgrade);
      for (const c of connections) c.ws.terminate();
      connections.clear();
      stats.clients = 0;
      wss.close();
    });

    app.get(
      LIVE_PATH,
      {
        config: { access: 'readings.read' },
        schema: {
          summary: 'Live feed (WebSocket): readings, alarms, device changes, system status',
          description:
            'Open with a WebSocket handshake (same session cookie, Origin equal to this server). Messages: ' +
            '`{"type":"reading"|"alarm"|"device"|"system","data":{…}}`, each type only for roles that may ' +
            'read it. A plain GET answers 426.',
          tags: ['live'],
        },
      },
      async (_req, reply) => {
        reply.header('upgrade', 'websocket');
        throw new VigilError('VIGIL_ERR_UPGRADE_REQUIRED');
      },
    );
  };

  return { plugin, stats };
}
