/**
 * Every comparison of a secret in src/ is made in constant time (`crypto.timingSafeEqual`): an
 * `===` on a MAC, a token hash or a code leaks, through its early exit, how many leading bytes
 * matched. Mutation testing showed that turning the delivery-token compare into `==` breaks no
 * behaviour test (an equivalent mutant), so this test reads the source instead:
 * 1. each known compare site calls `timingSafeEqual` and compares nothing else but lengths;
 * 2. no other comparison in src/ has a secret-looking operand, unless it is listed below with the
 *    reason it is not a secret comparison.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { stripComments } from '../tools/lint-deps.ts';

const SRC = new URL('../src/', import.meta.url).pathname;

/** The places where a secret (or its hash or MAC) is compared with what a caller sent. */
const COMPARE_SITES = [
  { file: 'auth/api-tokens.ts', fn: 'authenticate', what: 'API token secret (SHA-256)' },
  { file: 'auth/totp.ts', fn: 'verifyTotp', what: 'TOTP code' },
  { file: 'auth/password.ts', fn: 'verifyPassword', what: 'argon2id password hash' },
  { file: 'shipments/delivery-limiter.ts', fn: 'sameTokenHash', what: 'delivery token (keyed hash)' },
  { file: 'protocol/envelope.ts', fn: 'verifyEnvelopeMac', what: 'envelope HMAC' },
  { file: 'storage/audit-chain.ts', fn: 'sameMac', what: 'audit chain HMAC' },
] as const;

/**
 * Comparisons whose operands look secret by name but are not secret comparisons, and why.
 * Keyed by file and a piece of the line.
 */
const NOT_SECRET: { file: string; has: string; why: string }[] = [
  {
    file: 'auth/account-view.ts',
    has: 'u.totpSecretEnc !== null',
    why: 'presence of a sealed secret, not its value',
  },
  {
    file: 'protocol/envelope.ts',
    has: 'o.mac.length !== MAC_B64_LEN',
    why: 'length and format check before the MAC is computed',
  },
  {
    file: 'protocol/replay-window.ts',
    has: '.equals(nonceFp',
    why: 'nonce fingerprints: public values (replay detection)',
  },
  {
    file: 'storage/adapters/sqlite-shipment-store.ts',
    has: 'r.dispatch_token_hash !== null',
    why: 'presence of the hash',
  },
  { file: 'pki/load-ca.ts', has: 'fromKey.equals(', why: 'public keys (CA certificate and its key)' },
  { file: 'data-dir/service-cert.ts', has: '.equals(spki(', why: 'public keys (certificate and its key)' },
  {
    file: 'audit/audit-checkpoints.ts',
    has: 'inFile.seq < cp.seq',
    why: 'checkpoint sequence numbers (public)',
  },
  {
    file: 'audit/audit-checkpoint.ts',
    has: 'cp.keyFingerprint !== fingerprint',
    why: 'public key fingerprints',
  },
  {
    file: 'audit/audit-checkpoint.ts',
    has: '(await log.hashAt(cp.headId)) !== cp.headHash',
    why: 'audit head vs a signed checkpoint: both read by the verifier, nothing a caller sends',
  },
  { file: 'cli/commands/report.ts', has: 'actual !== pinned', why: 'public key fingerprints' },
  { file: 'cli/commands/report.ts', has: 'stated !== r.fingerprint', why: 'public key fingerprints' },
  { file: 'reports/signing.ts', has: '.equals(PDF_EOF)', why: 'a fixed file trailer' },
  {
    file: 'storage/change-watcher.ts',
    has: 'token !== last',
    why: "the database's change counter (PRAGMA data_version)",
  },
  {
    file: 'reports/signing.ts',
    has: "signature.toString('base64url') !== b64",
    why: 'canonical encoding of a public signature',
  },
];

const SECRET_NAME = /(hash|mac|secret|token|signature|digest|otp|password|passphrase)/i;
const COMPARISON =
  /((?:typeof\s+)?[\w.$[\]'"?]+(?:\([^()]*\))?)\s*(===|!==|==|!=)\s*((?:typeof\s+)?[\w.$[\]'"?]+(?:\([^()]*\))?)|\.equals\(|Buffer\.compare\(/g;
/** An operand that makes a comparison harmless: a literal, null/undefined, a length, a type. */
const HARMLESS =
  /^(?:null|undefined|true|false|\d+|'[^']*'|"[^"]*"|.*\.length|typeof.*|.*\.status|.*\.code|.*\.kind)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return n.endsWith('.ts') && !/\.(test|fixture)\.ts$|-contract\.ts$|\.d\.ts$/.test(n) ? [p] : [];
  });
}

/** The body of function or method `name` in `src` (from its signature to the matching brace). */
function bodyOf(src: string, name: string): string {
  const m = new RegExp(
    `(?:function\\s+${name}\\s*\\(|\\basync\\s+${name}\\s*\\(|^\\s+${name}\\s*\\()`,
    'm',
  ).exec(src);
  assert.ok(m, `${name} not found`);
  let i = src.indexOf('{', src.indexOf(')', m.index));
  // skip a return type annotation's braces: find the `{` that opens the body after the params
  const start = i;
  let depth = 0;
  for (; i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return src.slice(start, i + 1);
  }
  return src.slice(start);
}

describe('secret comparisons', () => {
  for (const site of COMPARE_SITES) {
    it(`${site.what} (${site.file} ${site.fn}) is compared with timingSafeEqual and nothing else`, () => {
      const body = stripComments(bodyOf(readFileSync(join(SRC, site.file), 'utf8'), site.fn));
      assert.match(body, /timingSafeEqual\(/, `${site.fn} does not call timingSafeEqual`);
      for (const m of body.matchAll(COMPARISON)) {
        if (!m[2]) continue;
        const [l, r] = [m[1] ?? '', m[3] ?? ''];
        assert.ok(
          HARMLESS.test(l) ||
            HARMLESS.test(r) ||
            /lastStep|step|matched|now|expiry|Expiry|revokedAt|owner/.test(`${l}${r}`),
          `${site.fn}: ${m[0]}`,
        );
      }
    });
  }

  it('finds no other comparison of a secret-looking value in src/', () => {
    const found: string[] = [];
    for (const path of sourceFiles(SRC)) {
      const file = relative(SRC, path);
      const lines = stripComments(readFileSync(path, 'utf8')).split('\n');
      for (const line of lines) {
        for (const m of line.matchAll(COMPARISON)) {
          const operands = m[2] ? [m[1] ?? '', m[3] ?? ''] : [line];
          if (!operands.some((o) => SECRET_NAME.test(o))) continue;
          if (m[2] && operands.some((o) => HARMLESS.test(o))) continue;
          if (NOT_SECRET.some((a) => a.file === file && line.includes(a.has))) continue;
          if (COMPARE_SITES.some((s) => s.file === file) && /timingSafeEqual/.test(line)) continue;
          found.push(`${file}: ${line.trim()}`);
        }
      }
    }
    assert.deepEqual(
      found,
      [],
      'compare these with timingSafeEqual, or list them in NOT_SECRET with the reason',
    );
  });

  it('would catch the delivery-token compare turned into ==', () => {
    const src = readFileSync(join(SRC, 'shipments/delivery-limiter.ts'), 'utf8');
    const mutant = src.replace('return x.length === y.length && timingSafeEqual(x, y);', 'return a == b;');
    assert.notEqual(mutant, src);
    assert.doesNotMatch(stripComments(bodyOf(mutant, 'sameTokenHash')), /timingSafeEqual\(/);
  });
});
