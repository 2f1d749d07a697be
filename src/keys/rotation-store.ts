/**
 * The key-rotation storage port: one record per new key generation of a device
 * (docs/protocol.md §12). Adapters must pass `rotation-store-contract.ts`.
 */

/** pending: `rotate_key` queued or sent; acked: the device switched; completed: old kid retired; failed. */
export type RotationState = 'pending' | 'acked' | 'completed' | 'failed';

export interface RotationRecord {
  deviceId: string;
  /** The new key generation. */
  kid: number;
  fromKid: number;
  /** The `rotate_key` command carrying it. */
  commandId: string;
  state: RotationState;
  startedAt: number;
  startedBy: string;
  ackedAt: number | null;
  completedAt: number | null;
  error: string | null;
}

export interface RotationStore {
  /** Records a new rotation (state pending). VIGIL_ERR_ROTATION_PENDING if the kid exists. */
  startRotation(r: RotationRecord): Promise<void>;
  getRotation(deviceId: string, kid: number): Promise<RotationRecord | null>;
  rotationByCommand(commandId: string): Promise<RotationRecord | null>;
  /**
   * Moves an open rotation on: `acked` only from `pending`; `completed` and `failed` from
   * `pending` or `acked`. Returns the updated record, or null (nothing changed) when the rotation
   * is unknown or no longer in a state it can leave that way, so concurrent completions count once.
   */
  setRotationState(
    deviceId: string,
    kid: number,
    state: RotationState,
    at: number,
    error?: string,
  ): Promise<RotationRecord | null>;
  /** Rotations still pending or acked, oldest first. */
  listOpenRotations(): Promise<RotationRecord[]>;
  /** The newest rotation of each device (for the fleet status), or of one device. */
  latestRotations(deviceId?: string): Promise<RotationRecord[]>;
}
