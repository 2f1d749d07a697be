import type { Logger } from 'pino';
import { ensureServerCert, serverTlsMaterial, type VigilContext } from '../data-dir/context.ts';

/** Where a renewed server certificate goes: every TLS listener, swapped in place. */
export interface TlsListener {
  /** Applies a new certificate and key to new handshakes; live sessions stay. */
  updateServerCert(cert: string, key: string): void;
}

/**
 * Renews the server certificate before it expires (`pki.serverRenewBeforeDays`), or at once after
 * a CA rollover, and hot-swaps it on the MQTT and HTTPS listeners with `setSecureContext`: no
 * restart, no dropped session. Audited as `pki.server_cert_renewed`.
 */
export class ServerCertRenewal {
  readonly #ctx: VigilContext;
  readonly #listeners: TlsListener[];
  readonly #log: Logger;

  constructor(ctx: VigilContext, listeners: TlsListener[]) {
    this.#ctx = ctx;
    this.#listeners = listeners;
    this.#log = ctx.logger.child({ component: 'server-cert' });
  }

  /** Renews when due (or `force`); returns true when a new certificate is in use. */
  async check(force = false): Promise<boolean> {
    const { ctx } = { ctx: this.#ctx };
    const renewed = await ensureServerCert(
      ctx.paths,
      ctx.master,
      ctx.store,
      ctx.ca,
      ctx.clock,
      ctx.config,
      [],
      {
        renewBeforeMs: ctx.config.pki.serverRenewBeforeDays * 86_400_000,
        force,
      },
    );
    if (!renewed) return false;
    const { cert, key } = serverTlsMaterial(ctx);
    for (const l of this.#listeners) l.updateServerCert(cert, key);
    await ctx.store.appendAudit({
      ts: ctx.clock(),
      actor: 'system',
      action: 'pki.server_cert_renewed',
      object: null,
      detail: { forced: force },
    });
    this.#log.info('server certificate renewed and swapped on every listener');
    return true;
  }
}
