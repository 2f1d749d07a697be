import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from './latency-histogram.ts';
import { PrometheusText } from './prometheus-text.ts';
import { ThroughputMeter } from './throughput-meter.ts';

describe('PrometheusText', () => {
  it('writes HELP and TYPE once per family and escapes label values', () => {
    const m = new PrometheusText();
    m.family('x_total', 'counter', 'Things.').sample('x_total', 1, { reason: 'a"b\\c\nd' });
    m.family('x_total', 'counter', 'Things.').sample('x_total', 2, { reason: 'e' });
    assert.equal(
      m.toString(),
      '# HELP x_total Things.\n# TYPE x_total counter\nx_total{reason="a\\"b\\\\c\\nd"} 1\nx_total{reason="e"} 2\n',
    );
  });

  it('writes a labelled family as one series per entry, and the family alone when there is none', () => {
    const m = new PrometheusText();
    m.labelled('r_total', 'counter', 'Rejections.', 'reason', { bad_sig: 3, replay: 0 });
    m.labelled('p', 'gauge', 'By power.', 'source', {});
    assert.equal(
      m.toString(),
      '# HELP r_total Rejections.\n# TYPE r_total counter\nr_total{reason="bad_sig"} 3\nr_total{reason="replay"} 0\n' +
        '# HELP p By power.\n# TYPE p gauge\n',
    );
  });

  it('refuses a metric name outside the exposition grammar', () => {
    assert.throws(() => new PrometheusText().family('bad-name', 'gauge', 'x'), TypeError);
  });
});

describe('LatencyHistogram', () => {
  it('counts cumulatively by upper bound, in seconds', () => {
    const h = new LatencyHistogram([1, 10]);
    for (const ms of [0.5, 1, 5, 50]) h.observe(ms);
    h.observe(Number.NaN);
    const s = h.snapshot();
    assert.deepEqual(s.buckets, [
      { leSeconds: 0.001, count: 2 },
      { leSeconds: 0.01, count: 3 },
    ]);
    assert.equal(s.count, 4);
    assert.equal(s.sumSeconds, 0.0565);
  });
});

describe('ThroughputMeter', () => {
  it('computes rates over the sliding window', () => {
    const t = new ThroughputMeter(10_000);
    assert.equal(t.rates(0, { accepted: 0, readings: 0, rejected: 0 }).acceptedPerSec, 0);
    for (let s = 0; s <= 30; s += 5) t.sample(s * 1000, { accepted: s * 10, readings: s * 20, rejected: s });
    const r = t.rates(30_000, { accepted: 300, readings: 600, rejected: 30 });
    assert.equal(r.acceptedPerSec, 10);
    assert.equal(r.readingsPerSec, 20);
    assert.equal(r.rejectedPerSec, 1);
    assert.ok(r.windowMs >= 10_000 && r.windowMs <= 15_000);
  });
});
