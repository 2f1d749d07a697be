import { connect } from 'node:net';
import { VigilError } from '../errors.ts';

/** Where and how to reach upsd (`power.nut`). */
export interface NutTarget {
  host: string;
  port: number;
  ups: string;
  username?: string | undefined;
  password?: string | undefined;
}

/** Longest response accepted from upsd (a LIST VAR is a few KiB). */
const MAX_RESPONSE = 256 * 1024;

/** `VAR <ups> <name> "<value>"`, value with `\"` and `\\` escapes (RFC 9271 §4.2.4). */
const VAR_RE = /^VAR \S+ (\S+) "((?:[^"\\]|\\.)*)"$/;

/** A line for upsd: printable ASCII without quotes or line breaks, as the protocol's words are. */
function word(s: string, what: string): string {
  if (!/^[\x21-\x7e]+$/.test(s) || s.includes('"'))
    throw new VigilError('VIGIL_ERR_CONFIG', `power.nut.${what}: not allowed in the NUT protocol`);
  return s;
}

/**
 * Reads every variable of one UPS from NUT's upsd over its TCP line protocol (RFC 9271, port
 * 3493): optional `USERNAME`/`PASSWORD`, `LIST VAR <ups>`, `LOGOUT`, one short connection per
 * poll. Errors (`ERR UNKNOWN-UPS`, `ERR ACCESS-DENIED`, `ERR DATA-STALE`, refused connections,
 * timeouts) become VIGIL_ERR_UPS. The password is sent only to upsd and never logged.
 */
export function listUpsVars(t: NutTarget, timeoutMs = 3000): Promise<Map<string, string>> {
  const lines = [
    ...(t.username ? [`USERNAME ${word(t.username, 'username')}`] : []),
    ...(t.password ? [`PASSWORD ${word(t.password, 'password')}`] : []),
    `LIST VAR ${word(t.ups, 'ups')}`,
    'LOGOUT',
  ];
  return new Promise((resolve, reject) => {
    const sock = connect({ host: t.host, port: t.port });
    let buf = '';
    let done = false;
    const vars = new Map<string, string>();
    const finish = (err: VigilError | null) => {
      if (done) return;
      done = true;
      sock.destroy();
      if (err) reject(err);
      else resolve(vars);
    };
    sock.setTimeout(timeoutMs, () =>
      finish(new VigilError('VIGIL_ERR_UPS', `upsd ${t.host}:${t.port}: no answer within ${timeoutMs} ms`)),
    );
    sock.on('error', (e) =>
      finish(new VigilError('VIGIL_ERR_UPS', `upsd ${t.host}:${t.port}: ${e.message}`)),
    );
    sock.on('connect', () => sock.write(`${lines.join('\n')}\n`));
    let inList = false;
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.length > MAX_RESPONSE) return finish(new VigilError('VIGIL_ERR_UPS', 'upsd answer too long'));
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
        if (line.startsWith('ERR '))
          return finish(new VigilError('VIGIL_ERR_UPS', `upsd: ${line.slice(4, 80)}`));
        if (line.startsWith('BEGIN LIST VAR')) inList = true;
        else if (line.startsWith('END LIST VAR')) {
          inList = false;
          return finish(null);
        } else if (inList) {
          const m = VAR_RE.exec(line);
          if (m?.[1] !== undefined && m[2] !== undefined) vars.set(m[1], m[2].replace(/\\(.)/g, '$1'));
        }
      }
    });
    sock.on('close', () =>
      finish(new VigilError('VIGIL_ERR_UPS', 'upsd closed the connection before the list ended')),
    );
  });
}

/** What Vigil reads from a UPS. */
export interface UpsReading {
  /** `ups.status` flags: OL on line, OB on battery, LB low battery, ... */
  flags: string[];
  onBattery: boolean;
  lowBattery: boolean;
  chargePct: number | null;
  runtimeS: number | null;
  model: string | null;
}

export function upsReading(vars: Map<string, string>): UpsReading {
  const flags = (vars.get('ups.status') ?? '').split(/\s+/).filter(Boolean);
  const num = (k: string) => {
    const v = vars.get(k);
    const n = v === undefined ? Number.NaN : Number(v);
    return Number.isFinite(n) ? n : null;
  };
  return {
    flags,
    onBattery: flags.includes('OB'),
    lowBattery: flags.includes('LB'),
    chargePct: num('battery.charge'),
    runtimeS: num('battery.runtime'),
    model: vars.get('ups.model') ?? vars.get('device.model') ?? null,
  };
}
