/**
 * The sinks' storage port: one durable, bounded outbox per sink, in the same store as the
 * readings. The adapter fills it in the transaction that stores the readings (the SQLite adapter
 * with a trigger on `readings`), so a reading that was acknowledged to its device is either in
 * every sink's outbox or was counted as dropped: nothing is lost between the store and a sink,
 * even across a crash, and ingest never waits for a sink. A sink's runner reads the oldest
 * entries, delivers them and removes them (at-least-once delivery).
 *
 * The adapters are `src/storage/adapters/sqlite-sink-outbox.ts` (filled by a trigger) and
 * `postgres-sink-outbox.ts` (filled by the ingest statement); every adapter must pass
 * `runSinkOutboxContract` (src/sinks/sink-outbox-contract.ts).
 */
import type { DeviceProfile } from '../protocol/device-profile.ts';
import type { ReadingRecord } from '../storage/store.ts';

/** A sink as the outbox knows it. */
export interface SinkTarget {
  /** Stable sink name (`influxdb`, `webhook-1a2b3c4d`). */
  name: string;
  /** Entries held at most; when full, each new reading drops the oldest entry (counted). */
  capacity: number;
  /** Only readings of these devices are queued; null: every device. */
  devices: readonly string[] | null;
}

/** One queued reading: the stored reading, its device's profile and its place in the outbox. */
export interface OutboxReading extends ReadingRecord {
  /** Position in this sink's outbox: increasing in the order readings were stored. */
  id: number;
  profile: DeviceProfile;
}

/** How full a sink's outbox is. */
export interface OutboxDepth {
  /** Entries waiting. */
  pending: number;
  /** Entries dropped because the outbox was full, over the sink's lifetime. */
  dropped: number;
  /** Store time of the oldest waiting reading, null when empty. */
  oldestReceivedAt: number | null;
}

export interface SinkOutbox {
  /**
   * Makes `targets` the sinks whose outboxes are filled from now on (a new sink starts empty:
   * readings stored before it existed are not queued). A sink no longer listed loses its outbox.
   * Capacity and device filter of a listed sink are updated; its queued entries stay.
   */
  setTargets(targets: readonly SinkTarget[]): Promise<void>;
  /** The sinks being filled, by name. */
  listTargets(): Promise<SinkTarget[]>;
  /**
   * The oldest `limit` entries of `sink`'s outbox, oldest first. Entries whose reading no longer
   * exists are removed, not returned.
   */
  peek(sink: string, limit: number): Promise<OutboxReading[]>;
  /** Removes entries (delivered, or refused for good). Unknown ids are ignored. */
  remove(sink: string, ids: readonly number[]): Promise<void>;
  depth(sink: string): Promise<OutboxDepth>;
}
