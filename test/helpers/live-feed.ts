/** A live-feed client for tests: records every message of `/api/v1/live` and how it closed. */
import WebSocket from 'ws';
import type { Instance } from './instance.ts';

export interface LiveMessage {
  type: string;
  data: Record<string, unknown>;
}

export class LiveFeedClient {
  readonly ws: WebSocket;
  readonly messages: LiveMessage[] = [];
  closeCode: number | null = null;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  /** `origin: null` sends no Origin header; by default the instance's own origin. */
  constructor(inst: Instance, headers: Record<string, string>, origin: string | null = inst.httpUrl) {
    this.ws = new WebSocket(`${inst.httpUrl.replace('https:', 'wss:')}/api/v1/live`, {
      ca: inst.ctx.ca.certPem,
      headers,
      ...(origin ? { origin } : {}),
    });
    this.ws.on('message', (d) => this.messages.push(JSON.parse(String(d)) as LiveMessage));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode })),
      );
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  of(type: string): LiveMessage[] {
    return this.messages.filter((m) => m.type === type);
  }
}
