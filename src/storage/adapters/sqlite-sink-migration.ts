import type { SqliteMigration } from './sqlite-migrations.ts';

/** Which targets a reading of `NEW.device_id` is queued for (the sink's device filter). */
const MATCHES = `(t.filtered = 0 OR EXISTS (
    SELECT 1 FROM sink_target_devices d WHERE d.sink = t.name AND d.device_id = NEW.device_id))`;

/**
 * The sinks' outbox (src/sinks/sink-outbox.ts): filled by a trigger in the transaction that
 * stores a reading, so a committed (acknowledged) reading is in every sink's outbox, even if the
 * process dies right after the commit. Entries reference the reading by its key; the reading's
 * data stays in `readings` (encrypted with the rest of the file), never copied.
 */
export const SINK_OUTBOX_MIGRATION: SqliteMigration = {
  version: 14,
  name: 'sink outbox',
  sql: `
-- One row per configured sink. next_id numbers its entries (never reused); pending and dropped
-- are kept by the trigger and the adapter so that depth and the bound cost no count(*).
CREATE TABLE sink_targets (
  name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
  capacity INTEGER NOT NULL CHECK (capacity >= 1),
  filtered INTEGER NOT NULL CHECK (filtered IN (0, 1)),
  next_id INTEGER NOT NULL DEFAULT 0,
  pending INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
  dropped INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- The devices a filtered sink takes (webhooks with \`devices\`, the ThingSpeak preset).
CREATE TABLE sink_target_devices (
  sink TEXT NOT NULL REFERENCES sink_targets (name) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  PRIMARY KEY (sink, device_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE sink_outbox (
  sink TEXT NOT NULL REFERENCES sink_targets (name) ON DELETE CASCADE,
  id INTEGER NOT NULL,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (sink, id)
) STRICT, WITHOUT ROWID;

-- Fires only for rows really inserted (a redelivered duplicate hits ON CONFLICT DO NOTHING and
-- inserts nothing), so the outbox is idempotent on (device, seq, idx) like the readings.
CREATE TRIGGER readings_to_sink_outbox AFTER INSERT ON readings
WHEN EXISTS (SELECT 1 FROM sink_targets)
BEGIN
  -- Bounded: a full outbox gives up its oldest entry, counted in dropped.
  DELETE FROM sink_outbox WHERE (sink, id) IN (
    SELECT t.name, (SELECT min(o.id) FROM sink_outbox o WHERE o.sink = t.name)
    FROM sink_targets t WHERE t.pending >= t.capacity AND ${MATCHES});
  UPDATE sink_targets AS t SET pending = pending - 1, dropped = dropped + 1
    WHERE t.pending >= t.capacity AND ${MATCHES};
  INSERT INTO sink_outbox (sink, id, device_id, seq, idx)
    SELECT t.name, t.next_id + 1, NEW.device_id, NEW.seq, NEW.idx FROM sink_targets t WHERE ${MATCHES};
  UPDATE sink_targets AS t SET next_id = next_id + 1, pending = pending + 1 WHERE ${MATCHES};
END;
`,
};
