/**
 * A device's recent past as one feature row per minute, in a ring of fixed capacity: the memory
 * of a monitor is bounded by its time window, whatever the device's cadence. Rows are 32-bit
 * floats (a temperature to 1e-5 °C, far below any sensor's resolution).
 */
export interface MinuteHistory {
  readonly dims: number;
  readonly capacity: number;
  /** Stores the row of minute `minute` (minutes increase; a gap leaves no rows). */
  push(minute: number, row: ArrayLike<number>, clean: boolean): void;
  /** Copies the clean rows of minutes in (`fromMinute`, newest] into `out` (row-major); returns the count. */
  cleanRows(fromMinute: number, out: Float64Array): number;
  /** Clean rows held in (`fromMinute`, newest]. */
  countClean(fromMinute: number): number;
  readonly newestMinute: number;
  readonly bytes: number;
}

export function createMinuteHistory(dims: number, capacity: number): MinuteHistory {
  const rows = new Float32Array(dims * capacity);
  const minutes = new Float64Array(capacity).fill(Number.NEGATIVE_INFINITY);
  const clean = new Uint8Array(capacity);
  let next = 0;
  let newest = Number.NEGATIVE_INFINITY;
  return {
    dims,
    capacity,
    get newestMinute() {
      return newest;
    },
    bytes: rows.byteLength + minutes.byteLength + clean.byteLength,
    push(minute, row, isClean) {
      if (!(minute > newest)) return;
      for (let q = 0; q < dims; q++) rows[next * dims + q] = row[q] as number;
      minutes[next] = minute;
      clean[next] = isClean ? 1 : 0;
      next = (next + 1) % capacity;
      newest = minute;
    },
    cleanRows(fromMinute, out) {
      let n = 0;
      for (let k = 0; k < capacity; k++) {
        // oldest first, so a caller sees time order
        const i = (next + k) % capacity;
        if (clean[i] !== 1 || !((minutes[i] as number) > fromMinute)) continue;
        for (let q = 0; q < dims; q++) out[n * dims + q] = rows[i * dims + q] as number;
        n++;
      }
      return n;
    },
    countClean(fromMinute) {
      let n = 0;
      for (let i = 0; i < capacity; i++) if (clean[i] === 1 && (minutes[i] as number) > fromMinute) n++;
      return n;
    },
  };
}
