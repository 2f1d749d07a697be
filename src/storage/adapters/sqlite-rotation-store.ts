import { VigilError } from '../../errors.ts';
import type { RotationRecord, RotationState, RotationStore } from '../../keys/rotation-store.ts';
import { type RotationRow, toRotation } from './lifecycle-rows.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

/** Key rotations on the store's connection. */
export class SqliteRotationStore implements RotationStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('key_rotations', (code) =>
      code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? new VigilError('VIGIL_ERR_ROTATION_PENDING') : undefined,
    );
  }

  async startRotation(r: RotationRecord): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt(
          `INSERT INTO key_rotations (device_id, kid, from_kid, command_id, state, started_at, started_by, acked_at, completed_at, error)
           VALUES (?, ?, ?, ?, 'pending', ?, ?, NULL, NULL, NULL)`,
        )
        .run(r.deviceId, r.kid, r.fromKid, r.commandId, r.startedAt, r.startedBy),
    );
  }

  async getRotation(deviceId: string, kid: number): Promise<RotationRecord | null> {
    const r = this.#q.one<RotationRow>(
      'SELECT * FROM key_rotations WHERE device_id = ? AND kid = ?',
      deviceId,
      kid,
    );
    return r ? toRotation(r) : null;
  }

  async rotationByCommand(commandId: string): Promise<RotationRecord | null> {
    const r = this.#q.one<RotationRow>('SELECT * FROM key_rotations WHERE command_id = ?', commandId);
    return r ? toRotation(r) : null;
  }

  async setRotationState(
    deviceId: string,
    kid: number,
    state: RotationState,
    at: number,
    error?: string,
  ): Promise<RotationRecord | null> {
    return this.#q.write(() => {
      const col = state === 'acked' ? 'acked_at' : state === 'pending' ? null : 'completed_at';
      const changed = this.#q
        .stmt(
          `UPDATE key_rotations SET state = ?, error = ?${col ? `, ${col} = ?` : ''}
           WHERE device_id = ? AND kid = ? AND state IN (${state === 'acked' ? "'pending'" : "'pending', 'acked'"})`,
        )
        .run(...[state, error ?? null, ...(col ? [at] : []), deviceId, kid]);
      if (changed.changes === 0) return null;
      const r = this.#q.one<RotationRow>(
        'SELECT * FROM key_rotations WHERE device_id = ? AND kid = ?',
        deviceId,
        kid,
      );
      return r ? toRotation(r) : null;
    });
  }

  async listOpenRotations(): Promise<RotationRecord[]> {
    return this.#q
      .all<RotationRow>(
        "SELECT * FROM key_rotations WHERE state IN ('pending', 'acked') ORDER BY started_at, device_id",
      )
      .map(toRotation);
  }

  async latestRotations(deviceId?: string): Promise<RotationRecord[]> {
    const filter = deviceId === undefined ? '' : 'WHERE device_id = ?';
    return this.#q
      .all<RotationRow>(
        `SELECT r.* FROM key_rotations r
         JOIN (SELECT device_id AS d, MAX(kid) AS k FROM key_rotations ${filter} GROUP BY device_id) m
           ON r.device_id = m.d AND r.kid = m.k ORDER BY r.device_id`,
        ...(deviceId === undefined ? [] : [deviceId]),
      )
      .map(toRotation);
  }
}
