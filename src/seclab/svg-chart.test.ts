import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barChartSvg, timelineSvg } from './svg-chart.ts';

describe('SVG charts', () => {
  it('draws the timeline with the attack shaded, the threshold and a mark per failed second', () => {
    const svg = timelineSvg({
      title: 'flood <x> & y',
      points: [
        { atMs: 0, p99Ms: 10, sent: 10, failed: 0 },
        { atMs: 1000, p99Ms: 400, sent: 10, failed: 2 },
        { atMs: 2000, p99Ms: Number.NaN, sent: 10, failed: 10 },
        { atMs: 3000, p99Ms: 12, sent: 10, failed: 0 },
      ],
      attackFromMs: 1000,
      attackToMs: 3000,
      baselineP99: 10,
      thresholdRatio: 5,
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /flood &lt;x&gt; &amp; y/);
    assert.match(svg, /5x baseline \(50 ms\)/);
    assert.equal((svg.match(/failed<\/title>/g) ?? []).length, 2);
    // The line breaks where a second had no acknowledged reading: two sub-paths.
    assert.equal((svg.match(/<path d="([^"]*)"/)?.[1]?.match(/M/g) ?? []).length, 2);
    assert.doesNotMatch(svg, /NaN/);
  });

  it('draws one bar per row with its label and value', () => {
    const svg = barChartSvg('Throughput', 'msgs/s', [
      { label: 'plain', value: 1000 },
      { label: 'mTLS', value: 750, text: '750/s' },
    ]);
    assert.match(svg, />plain</);
    assert.match(svg, />750\/s</);
    assert.doesNotMatch(svg, /NaN/);
  });
});
