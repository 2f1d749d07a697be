import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openContext } from '../data-dir/context.ts';
import { VigilError } from '../errors.ts';
import { assertLoopbackTarget } from './loopback.ts';
import type { Target } from './target.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A `vigil start` already running on `dataDir` on this machine. Its process id comes from the
 * data directory's lock file and its ports from that process's own `system.start` audit entry
 * (flags may have overridden config.json). Every listener must be a loopback or wildcard address,
 * and an external broker must be on loopback too; otherwise nothing is sent.
 */
export async function attachLocalTarget(dataDir: string): Promise<Target> {
  const dir = resolve(dataDir);
  if (!existsSync(`${dir}/config.json`) && !existsSync(`${dir}/vigil.db`)) {
    throw new VigilError('VIGIL_ERR_USAGE', `${dir} is not a Vigil data directory (no vigil.db)`);
  }
  const ctx = await openContext({ dataDir: dir, logLevel: 'silent', createAdmin: false });
  try {
    const { config } = ctx;
    assertLoopbackTarget('mqtt.host', config.mqtt.host);
    assertLoopbackTarget('http.host', config.http.host);
    const { url: externalUrl, urls: moreUrls } = config.mqtt.external;
    if (externalUrl !== undefined) assertLoopbackTarget('mqtt.external.url', new URL(externalUrl).hostname);
    for (const u of moreUrls) assertLoopbackTarget('mqtt.external.urls', new URL(u).hostname);
    const pid = existsSync(ctx.paths.lock) ? Number(readFileSync(ctx.paths.lock, 'utf8').trim()) : 0;
    if (!(pid > 0) || !alive(pid)) {
      throw new VigilError(
        'VIGIL_ERR_USAGE',
        `no running vigil start on ${dir} (no live process in ${ctx.paths.lock}); start it, or run seclab without --data-dir to attack a throwaway instance`,
      );
    }
    const starts = await ctx.store.queryAudit({ action: 'system.start', limit: 50 });
    const mine = starts.filter((a) => a.detail.pid === pid).sort((a, b) => b.id - a.id)[0];
    const mqttPort = Number(mine?.detail.mqtt_port ?? config.mqtt.port);
    const httpPort = Number(mine?.detail.http_port ?? config.http.port);
    const mqttHost = externalUrl !== undefined ? new URL(externalUrl).hostname : '127.0.0.1';
    const logFile = config.log.file === undefined ? null : resolve(dir, config.log.file);
    return {
      kind: 'data-dir',
      ctx,
      mqttPort,
      httpPort,
      mqttUrl: `mqtts://${mqttHost === 'localhost' ? '127.0.0.1' : mqttHost}:${mqttPort}`,
      httpUrl: `https://127.0.0.1:${httpPort}`,
      caPem: ctx.ca.certPem,
      pid: () => pid,
      logFile,
      canRestart: false,
      restart: async () => {
        throw new VigilError('VIGIL_ERR_USAGE', 'seclab does not restart an installation it did not start');
      },
      close: () => ctx.close(),
    };
  } catch (err) {
    await ctx.close().catch(() => {});
    throw err;
  }
}
