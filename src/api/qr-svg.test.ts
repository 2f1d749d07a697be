import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { qrSvg } from './qr-svg.ts';

describe('qrSvg', () => {
  const uri =
    'otpauth://totp/Vigil:admin?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Vigil&algorithm=SHA1&digits=6&period=30';

  it('draws a QR code with its finder patterns and quiet zone', () => {
    const svg = qrSvg(uri);
    const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
    const modules = size - 8;
    // ISO/IEC 18004: 4·version + 17 modules per side.
    assert.equal((modules - 17) % 4, 0, String(modules));
    assert.ok(modules >= 29, 'a ~110-byte URI needs version 3 or more');
    const dark = new Set([...svg.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map((m) => `${m[1]},${m[2]}`));
    // The top-left finder pattern: a 7x7 dark ring starting after the 4-module quiet zone.
    for (let i = 0; i < 7; i++) {
      for (const [x, y] of [
        [4 + i, 4],
        [4 + i, 10],
        [4, 4 + i],
        [10, 4 + i],
      ])
        assert.ok(dark.has(`${x},${y}`), `${x},${y}`);
    }
    assert.ok(!dark.has('5,5'), 'the ring is hollow');
    assert.ok(!dark.has('0,0') && !dark.has('3,3'), 'quiet zone');
  });

  it('holds no script, style, link or event handler, whatever the input', () => {
    const svg = qrSvg('"><script>alert(1)</script><a href="javascript:x">');
    assert.doesNotMatch(svg, /<script|<style|style=|\son\w+=|href|javascript:|<a\b|<foreignObject|<image/i);
    assert.match(svg, /^<svg [^>]*><rect [^>]*\/><path fill="#000000" d="[Mhvz0-9 -]*"\/><\/svg>$/);
  });
});
