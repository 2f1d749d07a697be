import type { CampaignDeviceRecord, CampaignRecord } from './ota-store.ts';

/** The JSON form of a campaign with its counts (API, CLI `--json`, dashboard). */
export function campaignView(c: CampaignRecord, devices: readonly CampaignDeviceRecord[]) {
  const counts = {
    pending: 0,
    sent: 0,
    downloading: 0,
    installing: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
  };
  for (const d of devices) counts[d.state]++;
  return {
    id: c.id,
    version: c.version,
    target: c.target,
    state: c.state,
    reason: c.reason,
    wavePct: c.wavePct,
    maxFailuresPct: c.maxFailuresPct,
    wavesReleased: c.wavesReleased,
    waves: devices.reduce((m, d) => Math.max(m, d.wave + 1), 0),
    devices: devices.length,
    counts,
    createdBy: c.createdBy,
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
  };
}

/**
 * One device of a campaign; `runningVersion` is the version the device last reported running
 * (src/ota/device-reports.ts), null when it reported none.
 */
export function campaignDeviceView(d: CampaignDeviceRecord, runningVersion: string | null) {
  return {
    deviceId: d.deviceId,
    runningVersion,
    wave: d.wave,
    state: d.state,
    progressPct: d.progressPct,
    error: d.error,
    commandId: d.commandId,
    updatedAt: new Date(d.updatedAt).toISOString(),
  };
}
