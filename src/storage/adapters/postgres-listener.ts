/**
 * One LISTEN connection to PostgreSQL (postgres-notify.ts), kept open: reconnects with backoff
 * (to whichever host is the read-write primary after a failover) and reports each reconnect, so
 * its owner can reload what it may have missed.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { PostgresDatabase } from './postgres-database.ts';

export interface PgListenerOptions {
  db: PostgresDatabase;
  channels: readonly string[];
  onNotify: (channel: string, payload: string) => void;
  /** After a lost connection is back (not on the first connect). */
  onReconnect?: () => void;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface PgListener {
  /** Resolves once LISTEN is in place (first connection). */
  ready(): Promise<void>;
  connected(): boolean;
  close(): Promise<void>;
}

export function startPgListener(o: PgListenerOptions): PgListener {
  let client: pg.Client | undefined;
  let closed = false;
  let up = false;
  let first = true;
  let delay = 100;
  let timer: NodeJS.Timeout | undefined;
  let readyResolve!: () => void;
  const readyP = new Promise<void>((r) => {
    readyResolve = r;
  });

  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => void connect(), delay);
    delay = Math.min(delay * 2, 5000);
  };

  async function connect(): Promise<void> {
    if (closed) return;
    try {
      const c = (await o.db.pool.connectClient()) as unknown as pg.Client;
      client = c;
      c.on('notification', (n) => {
        if (n.payload !== undefined) o.onNotify(n.channel, n.payload);
      });
      c.on('error', () => {});
      c.on('end', () => {
        up = false;
        client = undefined;
        if (!closed) {
          o.logger?.warn({ channels: o.channels }, 'postgres listener lost its connection; reconnecting');
          schedule();
        }
      });
      for (const ch of o.channels) await c.query(`LISTEN ${ch}`);
      up = true;
      delay = 100;
      if (first) {
        first = false;
        readyResolve();
      } else {
        o.onReconnect?.();
      }
    } catch (err) {
      o.logger?.warn({ err: (err as Error).message }, 'postgres listener cannot connect; retrying');
      schedule();
    }
  }
  void connect();

  return {
    ready: () => readyP,
    connected: () => up,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      readyResolve();
      await client?.end().catch(() => {});
    },
  };
}
