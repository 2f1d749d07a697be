import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, flushLogSummaries, type LogSettings } from './create-logger.ts';

const settings: LogSettings = {
  level: 'info',
  maxFileBytes: 10 * 1024 * 1024,
  maxFiles: 3,
  summaryIntervalMs: 3_600_000, // closed by hand below
  summaryBurst: 3,
  summaryMaxKeys: 10,
  maxLineBytes: 600,
};

function collector() {
  const lines: string[] = [];
  return { lines, target: { write: (l: string) => lines.push(l) }, bytes: () => lines.join('').length };
}

describe('createLogger', () => {
  it('bounds what a flood of distinct and repeated events writes per interval, and counts the rest', () => {
    const c = collector();
    const log = createLogger(settings, c.target);
    const child = log.child({ component: 'broker' });
    let sent = 0;
    // 3 event kinds × 500 sources × 20 repeats: 30,000 lines asked for.
    for (let r = 0; r < 20; r++) {
      for (let a = 0; a < 500; a++) {
        for (const ev of ['rejected', 'tls handshake failed', 'request completed']) {
          child.warn({ address: `127.0.${a >> 8}.${a & 255}`, reason: 'mac_invalid' }, ev);
          sent++;
        }
      }
    }
    const written = c.lines.length;
    flushLogSummaries(log);
    const summaries = c.lines.slice(written).map((l) => JSON.parse(l));
    // At most maxKeys × burst lines, then maxKeys summaries and one overflow line.
    assert.ok(written <= settings.summaryMaxKeys * settings.summaryBurst, `${written} lines`);
    assert.ok(summaries.length <= settings.summaryMaxKeys + 1);
    const counted = summaries.reduce((n, s) => n + s.suppressed, 0);
    assert.equal(written + counted, sent, 'every line is written or counted');
    assert.ok(
      c.bytes() <= (settings.summaryMaxKeys * (settings.summaryBurst + 1) + 1) * settings.maxLineBytes,
    );
    const first = summaries[0];
    assert.equal(first.msg, 'repeated log lines summarised');
    assert.equal(first.event, 'rejected');
    assert.equal(first.source, '127.0.0.0');
    assert.equal(summaries.at(-1).msg, 'log lines of too many distinct events summarised');
  });

  it('starts a fresh allowance after each interval', () => {
    const c = collector();
    const log = createLogger(settings, c.target);
    for (let i = 0; i < 10; i++) log.info({ address: '10.0.0.1' }, 'tick');
    flushLogSummaries(log);
    for (let i = 0; i < 10; i++) log.info({ address: '10.0.0.1' }, 'tick');
    const ticks = c.lines.filter((l) => JSON.parse(l).msg === 'tick').length;
    assert.equal(ticks, 2 * settings.summaryBurst);
  });

  it('cuts a line longer than maxLineBytes to its event', () => {
    const c = collector();
    const log = createLogger(settings, c.target);
    log.warn({ topic: 'x'.repeat(5000) }, 'refused');
    const line = JSON.parse(c.lines[0] ?? '{}');
    assert.equal(line.msg, 'refused');
    assert.equal(line.topic, undefined);
    assert.ok(line.truncatedBytes > 5000);
    assert.ok((c.lines[0] ?? '').length <= settings.maxLineBytes);
  });

  it('never writes a redacted field', () => {
    const c = collector();
    createLogger(settings, c.target).info({ token: 'tok-SECRET', password: 'pw-SECRET' }, 'x');
    assert.doesNotMatch(c.lines.join(''), /SECRET/);
  });

  it('writes to log.file and rotates it by size, keeping maxFiles old files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
    try {
      const file = join(dir, 'vigil.log');
      const log = createLogger({
        ...settings,
        file,
        maxFileBytes: 4096,
        summaryMaxKeys: 100_000,
        summaryBurst: 1,
      });
      for (let i = 0; i < 400; i++) log.info({ address: `a${i}` }, `line ${i}`);
      log.flush();
      const files = readdirSync(dir).sort();
      assert.deepEqual(files, ['vigil.log', 'vigil.log.1', 'vigil.log.2', 'vigil.log.3']);
      for (const f of files) assert.ok(statSync(join(dir, f)).size <= 4096, f);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const newest = readFileSync(file, 'utf8').trim().split('\n');
      assert.equal(JSON.parse(newest.at(-1) ?? '{}').msg, 'line 399');
      const older = readFileSync(`${file}.1`, 'utf8').trim().split('\n');
      const lastOfOlder = Number(JSON.parse(older.at(-1) ?? '{}').msg.split(' ')[1]);
      const firstOfNewest = Number(JSON.parse(newest[0] ?? '{}').msg.split(' ')[1]);
      assert.equal(firstOfNewest, lastOfOlder + 1, 'rotation loses no line in between');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
