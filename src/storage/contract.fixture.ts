/**
 * The runner behind every port's contract suite (src/storage/store-contract.ts,
 * src/auth/account-store-contract.ts, src/alarms/alarm-store-contract.ts,
 * src/shipments/shipment-store-contract.ts): each test gets a fresh, migrated, empty adapter from
 * `make` and disposes of it. With `skip` (e.g. `'postgres not reachable'`) every test is reported
 * as skipped with that reason, never as passed.
 */
import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
import { type ErrorCode, isVigilError } from '../errors.ts';

/** How an adapter's test file runs a contract suite. */
export interface ContractOptions<F extends { cleanup(): Promise<void> }> {
  /** The adapter, as the suite title shows it (`SqliteStore`). */
  name: string;
  /** A fresh, migrated, empty adapter (and whatever the suite needs beside it). */
  make: () => Promise<F>;
  /** Reason to skip every test of the suite. */
  skip?: string | undefined;
}

/** Declares one contract test: `make` before, `cleanup` after, skipped with the suite. */
export type ContractTest<F> = (title: string, fn: (f: F, t: TestContext) => Promise<void>) => void;

export function contractTest<F extends { cleanup(): Promise<void> }>(o: ContractOptions<F>): ContractTest<F> {
  const skip = o.skip ?? false;
  return (title, fn) => {
    it(title, { skip }, async (t) => {
      const f = await o.make();
      try {
        await fn(f, t);
      } finally {
        await f.cleanup();
      }
    });
  };
}

/** Asserts that `p` rejects with a VigilError of `code`. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isVigilError(err, code), `expected VigilError ${code}, got ${String(err)}`);
    return true;
  });
}
