import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PREFIX } from '../ingest.fixture.ts';
import { newMessageContext } from './message-context.ts';
import { parseEnvelopeStep } from './parse-envelope.ts';
import {
  codeOf,
  messageContext,
  NOW,
  refusalOf,
  runBefore,
  sample,
  stepDeps,
  testDevice,
} from './steps.fixture.ts';

const d = testDevice();
const deps = stepDeps([d]);

/** The same message with its payload text changed. */
function edited(edit: (json: string) => string) {
  const base = messageContext(d, { samples: [sample()] });
  const payload = Buffer.from(edit(base.msg.payload.toString('utf8')), 'utf8');
  return newMessageContext({ ...base.msg, payload }, NOW);
}

describe('parseEnvelopeStep', () => {
  it('parses a valid envelope whose dev is the topic device', async () => {
    const ctx = messageContext(d, { samples: [sample()] }, { seq: 7 });
    await runBefore(parseEnvelopeStep, ctx, deps);
    assert.equal(await codeOf(parseEnvelopeStep, ctx, deps), null);
    assert.equal(ctx.env.seq, 7);
  });

  it('refuses an envelope whose dev is another device', async () => {
    const other = testDevice('truck-0043');
    const ctx = messageContext(other, { samples: [sample()] });
    const moved = newMessageContext(
      { ...ctx.msg, topic: `${PREFIX}/devices/${d.id}/telemetry`, publisher: d.id },
      NOW,
    );
    await runBefore(parseEnvelopeStep, moved, deps);
    assert.deepEqual(await refusalOf(parseEnvelopeStep, moved, deps), {
      code: 'VIGIL_ERR_TOPIC',
      detail: 'envelope dev differs from topic',
    });
  });

  it('refuses duplicate members, integers not in plain form and a BOM (docs/protocol.md §5)', async () => {
    const cases: [string, (j: string) => string][] = [
      ['duplicate seq', (j) => j.replace('"seq":1,', '"seq":1,"seq":1,')],
      ['seq 1.0', (j) => j.replace('"seq":1,', '"seq":1.0,')],
      ['seq 1e0', (j) => j.replace('"seq":1,', '"seq":1e0,')],
      ['BOM', (j) => `\ufeff${j}`],
    ];
    for (const [name, edit] of cases) {
      const ctx = edited(edit);
      await runBefore(parseEnvelopeStep, ctx, deps);
      assert.equal(await codeOf(parseEnvelopeStep, ctx, deps), 'VIGIL_ERR_ENVELOPE_SCHEMA', name);
    }
  });

  it('refuses an envelope over 16 KiB before reading it', async () => {
    const ctx = edited((j) => j.replace('"b":"', `"b":"${'A'.repeat(16_400)}`));
    await runBefore(parseEnvelopeStep, ctx, deps);
    assert.equal(await codeOf(parseEnvelopeStep, ctx, deps), 'VIGIL_ERR_ENVELOPE_SIZE');
  });
});
