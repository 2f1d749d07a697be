import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { generateShipmentReport } from '../reports/generate-shipment-report.ts';
import { syntheticReportInput } from '../reports/report-input.fixture.ts';
import { reportSignerFromKey } from '../reports/signing.ts';
import {
  checkpointJson,
  checkpointLine,
  checkpointSignatureValid,
  compareWithLog,
  parseCheckpoint,
  signCheckpoint,
} from './audit-checkpoint.ts';

const signer = reportSignerFromKey(generateKeyPairSync('ed25519').privateKey);
const key = createPublicKey(signer.publicKeyPem);
const head = 'a'.repeat(64);
const cp = signCheckpoint(
  { seq: 3, at: Date.UTC(2026, 11, 6, 19, 34, 9, 123), entries: 10, headId: 10, headHash: head },
  signer,
);

describe('audit checkpoints', () => {
  it('round-trip through their file form with a valid Ed25519 signature', () => {
    const text = checkpointJson(cp);
    assert.match(text, /"at":"2026-12-06T19:34:09.123Z"/);
    const back = parseCheckpoint(text, 'cp.json');
    assert.deepEqual(back, cp);
    assert.equal(checkpointSignatureValid(back, key, signer.fingerprint), true);
  });

  it('fail their signature when any signed field changes or another key is named', () => {
    for (const forged of [
      { ...cp, entries: 9 },
      { ...cp, seq: 4 },
      { ...cp, headHash: 'b'.repeat(64) },
      { ...cp, at: cp.at + 1 },
    ]) {
      assert.equal(checkpointSignatureValid(forged, key, signer.fingerprint), false);
    }
    const other = reportSignerFromKey(generateKeyPairSync('ed25519').privateKey);
    assert.equal(checkpointSignatureValid(cp, createPublicKey(other.publicKeyPem), other.fingerprint), false);
  });

  it('refuse a file that is not a checkpoint', () => {
    for (const t of ['nope', '{}', JSON.stringify({ ...JSON.parse(checkpointJson(cp)), extra: 1 })]) {
      assert.throws(
        () => parseCheckpoint(t, 'x.json'),
        (e) => isVigilError(e, 'VIGIL_ERR_USAGE'),
      );
    }
  });

  it('tell a truncated log and a rewritten one from an intact one', async () => {
    const hashAt = async (id: number) => (id === 10 ? head : 'c'.repeat(64));
    assert.equal(await compareWithLog(cp, { entries: 12, hashAt }), null);
    assert.equal((await compareWithLog(cp, { entries: 8, hashAt }))?.kind, 'truncated');
    assert.equal(
      (await compareWithLog(cp, { entries: 12, hashAt: async () => 'd'.repeat(64) }))?.kind,
      'rewritten',
    );
  });

  it('are printed in shipment reports, outside the verification code', () => {
    const input = syntheticReportInput({ days: 1, stepMs: 10 * 60_000 });
    const line = checkpointLine(cp);
    const csv = generateShipmentReport(input, 'csv', signer, { auditCheckpoint: line }).toString('utf8');
    assert.ok(csv.includes(`\r\naudit_checkpoint,${line}\r\n`));
    const plain = generateShipmentReport(input, 'csv', signer).toString('utf8');
    const code = (t: string) => /verification_code,([^\r]+)/.exec(t)?.[1];
    assert.equal(code(csv), code(plain));
  });
});
