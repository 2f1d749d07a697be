import type { Logger } from 'pino';
import type { VigilConfig } from '../config/schema.ts';
import { DEFAULT_FD_RESERVE, FdBudget } from '../net/fd-budget.ts';
import { raiseNoFileLimit } from './fd-limit.ts';

/** Assumed when the limit cannot be read (no /proc): the common POSIX default soft limit. */
const FALLBACK_LIMIT = 1024;

/**
 * Raises RLIMIT_NOFILE to the hard limit, logs the figure, and divides it between the MQTT and
 * HTTPS listeners after keeping descriptors back for the store and the process (docs/security.md).
 */
export function createProcessFdBudget(config: VigilConfig, logger: Logger): FdBudget {
  const r = raiseNoFileLimit();
  const limit = Math.min(r.after?.soft ?? FALLBACK_LIMIT, 1_048_576 * 16);
  const budget = new FdBudget({
    limit,
    reserveStore: DEFAULT_FD_RESERVE.store,
    reserveProcess: DEFAULT_FD_RESERVE.process,
    max: {
      mqtt: config.mqtt.external?.url ? 1 : config.mqtt.maxConnections,
      https: config.http.maxConnections,
    },
  });
  const figures = {
    soft: r.after?.soft ?? null,
    hard: r.after?.hard ?? null,
    raisedFrom: r.how === 'prlimit' ? r.before?.soft : undefined,
    how: r.how,
    reserved: { store: DEFAULT_FD_RESERVE.store, process: DEFAULT_FD_RESERVE.process },
    mqttConnections: budget.guaranteed.mqtt,
    httpsConnections: budget.guaranteed.https,
  };
  if (r.how === 'failed' || r.how === 'unknown') {
    logger.warn({ ...figures, error: r.error }, 'file-descriptor limit not raised to the hard limit');
  } else logger.info(figures, 'file-descriptor limit');
  const short =
    budget.guaranteed.https < config.http.maxConnections ||
    (!config.mqtt.external?.url && budget.guaranteed.mqtt < config.mqtt.maxConnections);
  if (short) logger.warn(figures, 'descriptor limit below the connection caps: caps lowered to fit');
  return budget;
}
