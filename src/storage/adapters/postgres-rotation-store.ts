import { VigilError } from '../../errors.ts';
import type { RotationRecord, RotationState, RotationStore } from '../../keys/rotation-store.ts';
import { type RotationRow, toRotation } from './lifecycle-rows.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgCode, pgOps, pgStoreError } from './postgres-store-rows.ts';

/**
 * The `RotationStore` port on PostgreSQL. A state change is one conditional UPDATE, so of two
 * processes completing the same rotation one changes it and the other gets null. Nothing here is
 * secret (the new key itself is in `device_keys`, encrypted).
 */
export class PostgresRotationStore implements RotationStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  async #q(sql: string, params: unknown[]): Promise<RotationRecord[]> {
    return (
      await pgOps(this.#db, (err) => pgStoreError(err, 'key_rotations')).q<RotationRow>(sql, params)
    ).map(toRotation);
  }

  async startRotation(r: RotationRecord): Promise<void> {
    try {
      await this.#db.q(
        `INSERT INTO key_rotations (device_id, kid, from_kid, command_id, state, started_at, started_by)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6)`,
        [r.deviceId, r.kid, r.fromKid, r.commandId, r.startedAt, r.startedBy],
      );
    } catch (err) {
      if (pgCode(err) === '23505') throw new VigilError('VIGIL_ERR_ROTATION_PENDING');
      throw pgStoreError(err, 'key_rotations');
    }
  }

  async getRotation(deviceId: string, kid: number): Promise<RotationRecord | null> {
    const r = await this.#q('SELECT * FROM key_rotations WHERE device_id = $1 AND kid = $2', [deviceId, kid]);
    return r[0] ?? null;
  }

  async rotationByCommand(commandId: string): Promise<RotationRecord | null> {
    return (await this.#q('SELECT * FROM key_rotations WHERE command_id = $1', [commandId]))[0] ?? null;
  }

  async setRotationState(
    deviceId: string,
    kid: number,
    state: RotationState,
    at: number,
    error?: string,
  ): Promise<RotationRecord | null> {
    const col = state === 'acked' ? 'acked_at' : state === 'pending' ? null : 'completed_at';
    const from = state === 'acked' ? "('pending')" : "('pending', 'acked')";
    const r = await this.#q(
      `UPDATE key_rotations SET state = $3, error = $4${col ? `, ${col} = $5` : ''}
       WHERE device_id = $1 AND kid = $2 AND state IN ${from} RETURNING *`,
      [deviceId, kid, state, error ?? null, ...(col ? [at] : [])],
    );
    return r[0] ?? null;
  }

  async listOpenRotations(): Promise<RotationRecord[]> {
    return this.#q(
      "SELECT * FROM key_rotations WHERE state IN ('pending', 'acked') ORDER BY started_at, device_id",
      [],
    );
  }

  async latestRotations(deviceId?: string): Promise<RotationRecord[]> {
    const filter = deviceId === undefined ? '' : 'WHERE device_id = $1';
    return this.#q(
      `SELECT DISTINCT ON (device_id) * FROM key_rotations ${filter} ORDER BY device_id, kid DESC`,
      deviceId === undefined ? [] : [deviceId],
    );
  }
}
