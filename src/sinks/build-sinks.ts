import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SinksConfig } from '../config/sinks-schema.ts';
import { VigilError } from '../errors.ts';
import { influxdbSink } from './influxdb/influxdb-sink.ts';
import type { Sink } from './sink.ts';
import { thingspeakSink } from './webhook/thingspeak-sink.ts';
import { webhookSink } from './webhook/webhook-sink.ts';

/**
 * A `ca` setting as PEM: the PEM text itself, or a file (relative to the data directory). A
 * missing or unreadable file is a configuration error at start, not a failing sink later.
 */
export function readCaSetting(value: string, dataDir: string, key: string): string {
  if (value.includes('-----BEGIN CERTIFICATE-----')) return value;
  const path = resolve(dataDir, value);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VigilError('VIGIL_ERR_CONFIG', `${key}: cannot read ${path}: ${(err as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new VigilError('VIGIL_ERR_CONFIG', `${key}: ${path} holds no PEM certificate`);
  return pem;
}

/** The sinks `config` describes, ready to run. */
export function buildSinks(config: SinksConfig, dataDir: string): Sink[] {
  const sinks: Sink[] = [];
  if (config.influxdb)
    sinks.push(
      influxdbSink(config.influxdb, readCaSetting(config.influxdb.ca, dataDir, 'sinks.influxdb.ca')),
    );
  config.webhook.forEach((w, i) => {
    const ca = w.ca === undefined ? undefined : readCaSetting(w.ca, dataDir, `sinks.webhook.${i}.ca`);
    sinks.push(w.preset === 'thingspeak' ? thingspeakSink(w, ca) : webhookSink(w, ca));
  });
  const names = sinks.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `sinks.webhook: two entries send to the same target (${twice}); merge them`,
    );
  return sinks;
}
