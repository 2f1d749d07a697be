/**
 * The vocabulary of `vigil seclab`: scenario families, verdicts, the good device's service figures
 * and the report a run produces (docs/seclab.md describes every field).
 */

export const FAMILIES = ['sniffing', 'mitm', 'dos', 'unauthorized', 'tampering'] as const;
export type Family = (typeof FAMILIES)[number];

export const FAMILY_TITLES: Record<Family, string> = {
  sniffing: 'Sniffing',
  mitm: 'Man in the middle',
  dos: 'Denial of service (bounded)',
  unauthorized: 'Unauthorized access',
  tampering: 'Tampering and replay',
};

/**
 * - `refused`: the attack failed, and Vigil refused it the way it promises (counted where the
 *   protocol says so);
 * - `got through`: the attack reached its aim, or was refused silently where Vigil promises to
 *   count it;
 * - `degraded`: refused, but the good device's p99 rose above 5x its baseline or one of its
 *   messages failed while the attack ran;
 * - `skipped`: not run here (a tool missing, or the target cannot be restarted), with the reason;
 * - `error`: the scenario itself could not run to the end (not a finding about Vigil).
 */
export type Verdict = 'refused' | 'got through' | 'degraded' | 'skipped' | 'error';

/** The security layers the evaluation measures; a scenario names the ones that defeat it. */
export const LAYERS = [
  'tls',
  'mtls',
  'hmac-replay',
  'aead',
  'sqlcipher',
  'limits',
  'broker-acl',
  'api-auth',
] as const;
export type Layer = (typeof LAYERS)[number];

/** Confidentiality, integrity, availability, reliability: what a defeated attack would have cost. */
export const PROPERTIES = ['confidentiality', 'integrity', 'availability', 'reliability'] as const;
export type Property = (typeof PROPERTIES)[number];

/** The good device's service over an interval: QoS 1 telemetry, publish -> PUBACK. */
export interface ServiceFigures {
  sent: number;
  ok: number;
  /** ok / sent (1 when nothing was due). */
  successRate: number;
  /** Round trip publish -> PUBACK, milliseconds (NaN when nothing came back). */
  p50Ms: number;
  p99Ms: number;
}

/** One second of the good device's service, for the timeline charts. */
export interface ServicePoint {
  /** Start of this second, milliseconds since the scenario started. */
  atMs: number;
  p99Ms: number;
  sent: number;
  failed: number;
}

/** The target process over an interval (from /proc/<pid>). */
export interface ProcessFigures {
  /** CPU time used / wall time (1 = one core busy). */
  cpu: number;
  /** Largest resident set seen, bytes. */
  rssMaxBytes: number;
  /** Bytes added to the log files (NaN when the target logs to a stream seclab cannot see). */
  logBytes: number;
}

export interface FloodPhases {
  before: ServiceFigures & ProcessFigures;
  during: ServiceFigures & ProcessFigures;
  after: ServiceFigures & ProcessFigures;
  /** What the attacker did during the flood (connections opened, messages sent, ...). */
  attack: Record<string, number | string>;
  timeline: ServicePoint[];
  /** The attack phase on the timeline, milliseconds since the scenario started. */
  attackFromMs: number;
  attackToMs: number;
  /** The SVG chart's file name in the report directory. */
  chart?: string;
}

export interface ScenarioResult {
  id: string;
  family: Family;
  title: string;
  /** What is attacked (the asset and the way in). */
  attacked: string;
  expected: string;
  observed: string;
  verdict: Verdict;
  /** Facts that back the verdict: counters before/after, return codes, bytes, error messages. */
  evidence: string[];
  /** The good device while the scenario ran. */
  service: ServiceFigures;
  /** Floods only: before / during / after. */
  phases?: FloodPhases;
  /** Layers that defeat this attack, and what it would have cost (for the CIA matrix). */
  layers: Layer[];
  properties: Property[];
  durationMs: number;
}

export interface SeclabSummary {
  scenarios: number;
  refused: number;
  gotThrough: number;
  degraded: number;
  skipped: number;
  errors: number;
  /** The flood whose p99 during the attack was highest against its baseline. */
  worstDegradation: { id: string; p99Ratio: number; successRate: number } | null;
}

export interface SeclabReport {
  kind: 'vigil-seclab-report';
  version: 1;
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  target: {
    kind: 'throwaway' | 'data-dir';
    dataDir: string | null;
    mqtt: string;
    https: string;
    pid: number | null;
  };
  machine: {
    cpuModel: string;
    cpuCount: number;
    memoryGiB: number;
    node: string;
    openssl: string;
    loadAvg: number[];
  };
  vigilVersion: string;
  summary: SeclabSummary;
  scenarios: ScenarioResult[];
}
