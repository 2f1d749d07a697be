import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthServices, createAuthServices } from '../auth/auth-services.ts';
import type { Role } from '../auth/principal.ts';
import { rebuildCrlOf } from '../data-dir/context.ts';
import { ensureServiceCert } from '../data-dir/service-cert.ts';
import { addDevice, revokeDevice } from '../devices/device-service.ts';
import type { Alg } from '../protocol/aead.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../sim/device-bundle.ts';
import { ApiSession, firstSignIn, type SignedInUser } from './https-client.ts';
import type { Target } from './target.ts';

/** The actor seclab's own changes are audited under. */
export const SECLAB_ACTOR = 'seclab';

/** Polls `fn` every 50 ms until it returns a truthy value; undefined after `timeoutMs`. */
export async function poll<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs: number,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What one seclab run creates on the target and takes away again: devices (bundles in a private
 * temp directory), users signed in over the API, a backend service identity. Every name carries
 * the run's id (`seclab-<id>-...`). Cleanup revokes the devices and the service certificate and
 * disables the users: the records stay, because the audit log and stored readings refer to them
 * and neither is ever rewritten.
 */
export class Lab {
  readonly target: Target;
  readonly runId = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'vigil-seclab-lab-'));
  readonly auth: AuthServices;
  #admin: SignedInUser | undefined;
  readonly #devices: string[] = [];
  readonly #users: string[] = [];
  readonly #services: string[] = [];
  #userSeq = 0;

  constructor(target: Target) {
    this.target = target;
    const { ctx } = target;
    this.auth = createAuthServices({
      store: ctx.accountStore,
      audit: ctx.store,
      master: ctx.master,
      clock: ctx.clock,
    });
  }

  name(what: string): string {
    return `seclab-${this.runId}-${what}`;
  }

  /**
   * A loopback source address of this run (127.x.y.n, x and y from the run id), so that the
   * per-address throttles an attack trips never fall on 127.0.0.1, where real users may sit.
   */
  address(n: number): string {
    const id = Buffer.from(this.runId, 'hex');
    return `127.${(id[0] ?? 0) | 1}.${id[1] ?? 0}.${Math.max(1, Math.min(254, n))}`;
  }

  /** A device provisioned as `vigil device add` does, its bundle read back. */
  async device(what: string, o: { alg?: Alg; profile?: DeviceProfile } = {}): Promise<DeviceBundleFiles> {
    const id = this.name(what);
    const b = await addDevice(this.target.ctx, {
      id,
      profile: o.profile ?? 'vaccine-transport',
      ...(o.alg ? { alg: o.alg } : {}),
      outDir: join(this.dir, 'devices', id),
      actor: SECLAB_ACTOR,
    });
    this.#devices.push(id);
    return readDeviceBundle(b.dir);
  }

  async revoke(id: string): Promise<void> {
    await revokeDevice(this.target.ctx, id, SECLAB_ACTOR, 'cessationOfOperation');
  }

  /** An account created with a one-time password, not signed in yet. */
  async newAccount(role: Role): Promise<{ name: string; oneTimePassword: string }> {
    const name = this.name(`${role.slice(0, 4)}${++this.#userSeq}`);
    const { oneTimePassword } = await this.auth.accounts.createUser({ name, role, actor: SECLAB_ACTOR });
    this.#users.push(name);
    return { name, oneTimePassword };
  }

  /** An account signed in with both factors over HTTPS, from `localAddress` when given. */
  async user(role: Role, localAddress?: string): Promise<SignedInUser> {
    const a = await this.newAccount(role);
    const session = new ApiSession(
      this.target.httpUrl,
      this.target.caPem,
      localAddress ? { localAddress } : {},
    );
    return firstSignIn(session, a.name, a.oneTimePassword, `seclab ${randomBytes(12).toString('base64url')}`);
  }

  /** Seclab's own admin: reads counters and the audit log, creates shipments and tokens. */
  async admin(): Promise<SignedInUser> {
    this.#admin ??= await this.user('admin', '127.0.0.1');
    return this.#admin;
  }

  /** A backend service identity (it may subscribe to every device's uplink, as ingest does). */
  async service(what: string): Promise<{ cert: string; key: string; name: string }> {
    const name = `vigil-${this.name(what)}`.slice(0, 64);
    const s = await ensureServiceCert(this.target.ctx, name, SECLAB_ACTOR);
    if (!this.#services.includes(s.serial)) this.#services.push(s.serial);
    return { cert: s.certPem, key: s.keyPem, name };
  }

  /** Rejection totals of the running server by reason (`/api/v1/system`, since it started). */
  async rejections(): Promise<Record<string, number>> {
    const admin = await this.admin();
    const r = await admin.session.call('/api/v1/system');
    if (r.status !== 200) throw new Error(`GET /api/v1/system: ${r.status}`);
    return (r.json as { rejections: { sinceStart: Record<string, number> } }).rejections.sinceStart;
  }

  /**
   * Waits (bounded) until one of `labels` grew past `before`; returns the growth per label that
   * moved (empty when none did).
   */
  async counted(
    before: Record<string, number>,
    labels: readonly string[],
    timeoutMs = 5000,
  ): Promise<Record<string, number>> {
    const grown = async () => {
      const now = await this.rejections();
      const d: Record<string, number> = {};
      for (const l of labels) if ((now[l] ?? 0) > (before[l] ?? 0)) d[l] = (now[l] ?? 0) - (before[l] ?? 0);
      return Object.keys(d).length > 0 ? d : undefined;
    };
    return (await poll(grown, timeoutMs)) ?? {};
  }

  /**
   * The server's own account of what it refused since `since` (its audit log's `*.reject` entries
   * about this run's devices): the diagnosis when a scenario's setup failed unexpectedly.
   */
  async serverRefusals(since: number): Promise<string[]> {
    const rows = await this.target.ctx.store.queryAudit({ since, limit: 200 }).catch(() => []);
    return rows
      .filter((a) => a.action.endsWith('.reject') && (a.object ?? '').startsWith(`seclab-${this.runId}-`))
      .slice(-5)
      .map((a) => `server: ${a.action} ${a.object} ${JSON.stringify(a.detail).slice(0, 160)}`);
  }

  /** True when a reading of `deviceId` with this `seq` was stored. */
  async stored(deviceId: string, seq: number): Promise<boolean> {
    const rows = await this.target.ctx.store.queryReadings({ deviceId, since: 0, limit: 100_000 });
    return rows.some((r) => r.seq === seq);
  }

  /** Rows stored for `deviceId` with this `seq` (a duplicate would show as 2). */
  async storedCount(deviceId: string, seq: number): Promise<number> {
    const rows = await this.target.ctx.store.queryReadings({ deviceId, since: 0, limit: 100_000 });
    return rows.filter((r) => r.seq === seq).length;
  }

  /** Revokes every device and service certificate and disables every user this run made. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    const { ctx } = this.target;
    for (const id of this.#devices) {
      const d = await ctx.store.getDevice(id).catch(() => null);
      if (d && d.status !== 'revoked')
        await this.revoke(id).catch((e: Error) => problems.push(`${id}: ${e.message}`));
    }
    for (const serial of this.#services) {
      await ctx.store
        .revokeCertificate(serial, ctx.clock(), 'cessationOfOperation')
        .catch((e: Error) => problems.push(`service ${serial}: ${e.message}`));
    }
    if (this.#services.length > 0) await rebuildCrlOf(ctx, null);
    for (const name of this.#users) {
      await this.auth.accounts.endSessions(name, SECLAB_ACTOR).catch(() => 0);
      await this.auth.accounts
        .disableUser(name, SECLAB_ACTOR)
        .catch((e: Error) => problems.push(`user ${name}: ${e.message}`));
    }
    rmSync(this.dir, { recursive: true, force: true });
    return problems;
  }
}
