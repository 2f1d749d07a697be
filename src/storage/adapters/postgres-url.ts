/**
 * `storage.url` (`vigil start --store URL`) for PostgreSQL, parsed and checked against Vigil's
 * connection policy before anything connects:
 *
 * - TLS with certificate verification, as libpq's `sslmode=verify-full` (the chain must lead to
 *   `sslrootcert`, or to the system's roots when it is absent, AND the host name must match the
 *   certificate). `sslmode` may be left out (it then means verify-full) or be `verify-full`.
 *   Weaker TLS modes (`require`, `verify-ca`, `prefer`, `allow`) are refused: they would accept a
 *   server that only holds some certificate.
 * - Plain TCP (`sslmode=disable`) only with `storage.allowInsecure: true`, and the caller warns.
 * - Several hosts (`postgres://u:p@db-a:5432,db-b:5432/vigil`) are tried in order; with
 *   `target_session_attrs=read-write` (the default here) a host in recovery (a standby) is skipped,
 *   so after a failover the workers find the promoted primary. `any` accepts the first host.
 *
 * libpq's URI syntax (PostgreSQL docs §34.1.1.2); only the parameters listed in ALLOWED_PARAMS.
 */
import { readFileSync } from 'node:fs';
import { VigilError } from '../../errors.ts';

export interface PgHost {
  host: string;
  port: number;
}

export interface PgConnectionSpec {
  hosts: PgHost[];
  user: string;
  password: string | undefined;
  database: string;
  /** PEM of the trust anchors for the server certificate; undefined: Node's default roots. */
  ca: string | undefined;
  /** False only for an accepted `sslmode=disable`. */
  tls: boolean;
  targetSessionAttrs: 'read-write' | 'any';
  applicationName: string;
  connectTimeoutMs: number;
  /** The URL with the password replaced, for logs. */
  redacted: string;
}

const ALLOWED_PARAMS = new Set([
  'sslmode',
  'sslrootcert',
  'target_session_attrs',
  'application_name',
  'connect_timeout',
]);

/** Parses and checks a `postgres://` or `postgresql://` URL (see the module comment). */
export function parsePostgresUrl(text: string, o: { allowInsecure?: boolean } = {}): PgConnectionSpec {
  const bad = (why: string): never => {
    throw new VigilError('VIGIL_ERR_CONFIG', `storage.url: ${why}`);
  };
  const m = /^(postgres(?:ql)?):\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(text);
  if (!m)
    return bad(
      'must be postgres://user:password@host[:port][,host2[:port]]/database[?sslmode=verify-full&...]',
    );
  const [, , auth = '', hostPart = '', dbPart = '', query = ''] = m;
  const [userRaw = '', ...pwParts] = auth.split(':');
  const user = decodeURIComponent(userRaw);
  const password = pwParts.length > 0 ? decodeURIComponent(pwParts.join(':')) : undefined;
  if (!user) bad('a user name is required');
  const hosts = hostPart.split(',').map((h): PgHost => {
    const hm = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(h);
    if (!hm) return bad(`invalid host ${JSON.stringify(h.slice(0, 100))}`);
    const port = hm[2] === undefined ? 5432 : Number(hm[2]);
    if (port < 1 || port > 65535) bad(`invalid port in ${JSON.stringify(h)}`);
    return { host: (hm[1] as string).replace(/^\[|\]$/g, ''), port };
  });
  if (hosts.length > 16) bad('at most 16 hosts');
  const database = decodeURIComponent(dbPart) || user;
  const params = new URLSearchParams(query);
  for (const k of params.keys()) {
    if (!ALLOWED_PARAMS.has(k))
      bad(`unsupported parameter ${JSON.stringify(k)} (allowed: ${[...ALLOWED_PARAMS].join(', ')})`);
  }
  const sslmode = params.get('sslmode') ?? 'verify-full';
  let tls = true;
  if (sslmode === 'disable') {
    if (!o.allowInsecure) {
      bad(
        'sslmode=disable sends passwords and data in clear: set storage.allowInsecure to true to accept that',
      );
    }
    tls = false;
  } else if (sslmode !== 'verify-full') {
    bad(`sslmode=${sslmode} does not verify the server's name; use verify-full (the default)`);
  }
  const rootcert = params.get('sslrootcert');
  let ca: string | undefined;
  if (tls && rootcert !== null && rootcert !== 'system') {
    try {
      ca = readFileSync(rootcert, 'utf8');
    } catch (err) {
      bad(`cannot read sslrootcert ${rootcert}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const tsa = params.get('target_session_attrs') ?? 'read-write';
  if (tsa !== 'read-write' && tsa !== 'any') bad('target_session_attrs must be read-write or any');
  const timeoutS = Number(params.get('connect_timeout') ?? '10');
  if (!Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > 300)
    bad('connect_timeout must be 1-300 seconds');
  const appName = params.get('application_name') ?? 'vigil';
  if (!/^[A-Za-z0-9._-]{1,63}$/.test(appName)) bad('application_name must be 1-63 of A-Z a-z 0-9 . _ -');
  return {
    hosts,
    user,
    password,
    database,
    ca,
    tls,
    targetSessionAttrs: tsa as PgConnectionSpec['targetSessionAttrs'],
    applicationName: appName,
    connectTimeoutMs: timeoutS * 1000,
    redacted: redactPostgresUrl(text),
  };
}

/** The URL with its password replaced by `***` (for logs and errors). */
export function redactPostgresUrl(text: string): string {
  return text.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** True for a URL that selects the PostgreSQL adapters. */
export function isPostgresUrl(text: string | undefined): text is string {
  return text !== undefined && /^postgres(ql)?:\/\//.test(text);
}
