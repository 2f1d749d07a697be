import { isoOrNull as iso } from '../iso-time.ts';
import type { CommandRecord } from './command-store.ts';

/**
 * A command as the API, the CLI's `--json` and the live feed show it. `state` is the protocol
 * state; an acked command also carries its `outcome` (`ok` | `error`), so `acked(ok|error)`.
 * Long arguments (certificates) are shortened to their length.
 */
export function commandView(c: CommandRecord) {
  const args: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(c.args))
    args[k] = typeof v === 'string' && v.length > 256 ? `<${v.length} chars>` : v;
  return {
    id: c.id,
    deviceId: c.deviceId,
    op: c.op,
    args,
    state: c.state,
    outcome: c.outcome,
    error: c.error,
    result: c.result,
    createdBy: c.createdBy,
    reason: c.reason,
    createdAt: iso(c.createdAt),
    expiresAt: iso(c.expiresAt),
    sentAt: iso(c.sentAt),
    sendCount: c.sendCount,
    downlinkSeq: c.downlinkSeq,
    ackedAt: iso(c.ackedAt),
  };
}

export type CommandView = ReturnType<typeof commandView>;

/** `acked(ok)`, `acked(error)`, or the bare state: how the CLI and the dashboard print it. */
export function commandStateLabel(c: { state: string; outcome: string | null }): string {
  return c.state === 'acked' ? `acked(${c.outcome})` : c.state;
}
