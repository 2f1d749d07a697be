import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeControl, escapeControlKeepLayout } from './escape-control.ts';

describe('escapeControl', () => {
  it('shows terminal escape sequences as text instead of sending them to the terminal', () => {
    assert.equal(
      escapeControl('mallory\u001b[2J\u001b]0;owned\u0007'),
      'mallory\\u001b[2J\\u001b]0;owned\\u0007',
    );
    assert.equal(escapeControl('csi\u009b31m'), 'csi\\u009b31m');
    assert.equal(escapeControl('del\u007f nul\u0000'), 'del\\u007f nul\\u0000');
  });

  it('escapes line breaks and bidirectional overrides, so a value cannot fake a line or reorder text', () => {
    assert.equal(escapeControl('a\nb\rc\td'), 'a\\u000ab\\u000dc\\u0009d');
    assert.equal(escapeControl('admin\u202egnp.exe'), 'admin\\u202egnp.exe');
    assert.equal(escapeControl('x\u2028y\u2066z\u061c'), 'x\\u2028y\\u2066z\\u061c');
  });

  it('leaves printable text alone, accents, emoji and backslashes included', () => {
    const s = 'Zoë → Kumasi 😀 C:\\data "quoted"';
    assert.equal(escapeControl(s), s);
  });

  it('keeps line feeds and tabs of a laid-out block, and stays valid inside JSON', () => {
    assert.equal(escapeControlKeepLayout('a\tb\nc\u001bd'), 'a\tb\nc\\u001bd');
    const line = JSON.stringify({ name: 'x\u009b\u202ey' });
    assert.deepEqual(JSON.parse(escapeControlKeepLayout(line)), { name: 'x\u009b\u202ey' });
    assert.ok(!/[\u0080-\u009f\u202e]/.test(escapeControlKeepLayout(line)));
  });
});
