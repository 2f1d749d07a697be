import assert from 'node:assert/strict';
import { once } from 'node:events';
import { duplexPair } from 'node:stream';
import { describe, it } from 'node:test';
import { FixedHeaderScanner, PacketGuard, type PacketGuardViolation } from './packet-guard.ts';

/** A PUBLISH fixed header announcing `len` body bytes (varint per MQTT 3.1.1 §2.2.3). */
function header(type: number, len: number): Buffer {
  const bytes = [type << 4];
  let x = len;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    bytes.push(b);
  } while (x > 0);
  return Buffer.from(bytes);
}

function packet(type: number, len: number): Buffer {
  return Buffer.concat([header(type, len), Buffer.alloc(len, 0x61)]);
}

describe('FixedHeaderScanner', () => {
  it('accepts a stream of packets split at every byte', () => {
    const s = new FixedHeaderScanner(100);
    const stream = Buffer.concat([packet(1, 12), packet(3, 100), packet(12, 0), packet(3, 1)]);
    for (const b of stream) assert.equal(s.scan(Buffer.from([b])), null);
  });

  it('accepts packets spread over chunks of any size', () => {
    const s = new FixedHeaderScanner(20480);
    const stream = Buffer.concat([packet(3, 20480), packet(3, 200), packet(3, 16384)]);
    for (let i = 0; i < stream.length; i += 777) assert.equal(s.scan(stream.subarray(i, i + 777)), null);
  });

  it('refuses a remaining length above the cap as soon as the varint ends', () => {
    const s = new FixedHeaderScanner(20480);
    assert.deepEqual(s.scan(header(3, 20481)), {
      reason: 'packet_too_large',
      packetType: 3,
      remainingLength: 20481,
    });
  });

  it('refuses a 256 MiB remaining length from the header alone', () => {
    const s = new FixedHeaderScanner();
    const v = s.scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    assert.equal(v?.reason, 'packet_too_large');
    assert.equal(v?.remainingLength, 268435455);
  });

  it('refuses a varint with a fifth continuation byte', () => {
    const s = new FixedHeaderScanner();
    assert.deepEqual(s.scan(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80])), {
      reason: 'malformed_length',
      packetType: 3,
    });
  });

  it('refuses the reserved packet type 0', () => {
    assert.equal(new FixedHeaderScanner().scan(Buffer.from([0x00, 0x00]))?.reason, 'reserved_packet_type');
  });

  it('finds an oversized header that follows valid packets in the same chunk', () => {
    const s = new FixedHeaderScanner(64);
    const v = s.scan(Buffer.concat([packet(3, 10), packet(3, 64), header(3, 65)]));
    assert.equal(v?.reason, 'packet_too_large');
  });
});

describe('PacketGuard', () => {
  it('passes bytes both ways unchanged', async () => {
    const [inside, outside] = duplexPair();
    const guard = new PacketGuard(inside, { maxPacketBytes: 100 });
    const got: Buffer[] = [];
    guard.on('data', (c: Buffer) => got.push(c));
    const sent = Buffer.concat([packet(1, 20), packet(3, 100)]);
    outside.write(sent);
    const back: Buffer[] = [];
    outside.on('data', (c: Buffer) => back.push(c));
    guard.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(Buffer.concat(got), sent);
    assert.deepEqual(Buffer.concat(back), Buffer.from([0x20, 0x02, 0x00, 0x00]));
    guard.destroy();
  });

  it('destroys the socket on a 256 MiB header before any body is buffered', async () => {
    const [inside, outside] = duplexPair();
    const seen: PacketGuardViolation[] = [];
    const guard = new PacketGuard(inside, { onViolation: (v) => seen.push(v) });
    let passed = 0;
    guard.on('data', (c: Buffer) => {
      passed += c.length;
    });
    guard.on('error', () => {});
    const closed = once(inside, 'close');
    outside.write(packet(1, 10));
    outside.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    outside.write(Buffer.alloc(64 * 1024, 1));
    await closed;
    assert.equal(inside.destroyed, true);
    assert.equal(guard.destroyed, true);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.reason, 'packet_too_large');
    assert.equal(passed, 12, 'only the valid first packet went through');
  });

  it('destroys the socket on a malformed remaining length', async () => {
    const [inside, outside] = duplexPair();
    const seen: PacketGuardViolation[] = [];
    const guard = new PacketGuard(inside, { onViolation: (v) => seen.push(v) });
    guard.on('error', () => {});
    guard.resume();
    const closed = once(inside, 'close');
    outside.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]));
    await closed;
    assert.equal(seen[0]?.reason, 'malformed_length');
  });

  it('destroys the socket when the guard is destroyed', async () => {
    const [inside] = duplexPair();
    const guard = new PacketGuard(inside);
    const closed = once(inside, 'close');
    guard.destroy();
    await closed;
    assert.equal(inside.destroyed, true);
  });
});
