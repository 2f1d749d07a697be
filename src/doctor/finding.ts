/**
 * What `vigil doctor` reports: one finding per problem (or per check that passed), each with the
 * fix in words. Any `high` finding makes the command exit 1.
 */

import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { AccountStore } from '../auth/account-store.ts';
import type { VigilConfig } from '../config/schema.ts';
import type { DataPaths } from '../data-dir/paths.ts';
import type { SinkOutbox } from '../sinks/sink-outbox.ts';
import type { Store } from '../storage/store.ts';

/** `ok`: the check passed; `info`: worth knowing, nothing to fix. */
export type Severity = 'high' | 'medium' | 'low' | 'info' | 'ok';

export const SEVERITY_ORDER: readonly Severity[] = ['high', 'medium', 'low', 'info', 'ok'];

export interface Finding {
  /** The check that found it (`file-modes`, `tls`, ...). */
  check: string;
  severity: Severity;
  message: string;
  /** What to do about it; null for `ok` and `info`. */
  fix: string | null;
}

/** Runs a command, returning its output, or null when it is not installed or fails. */
export type Exec = (cmd: string, args: string[]) => Promise<string | null>;

/** A TLS listener of the running instance. */
export interface TlsTarget {
  name: 'https' | 'mqtts' | 'firmware';
  host: string;
  port: number;
}

/** Everything the checks look at: the data directory (opened), its configuration, the host. */
export interface DoctorContext {
  paths: DataPaths;
  config: VigilConfig;
  env: NodeJS.ProcessEnv;
  store: Store;
  accounts: AccountStore;
  alarms: AlarmStore;
  /** Undefined on a store without one (PostgreSQL). */
  outbox: SinkOutbox | undefined;
  /** PEM of the root CA (the running instance's listeners present certificates it issued). */
  caPem: string;
  /** The running instance's TLS listeners; empty when no `vigil start` runs on this data directory. */
  tlsTargets: TlsTarget[];
  clock: () => number;
  exec: Exec;
}

/** One check: reads, never changes anything. */
export interface DoctorCheck {
  name: string;
  run(ctx: DoctorContext): Promise<Finding[]>;
}

/** A passed check, for the report. */
export function ok(check: string, message: string): Finding {
  return { check, severity: 'ok', message, fix: null };
}
