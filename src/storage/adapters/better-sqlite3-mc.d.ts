/**
 * better-sqlite3-multiple-ciphers ships typings that its package.json `exports` map hides from
 * `moduleResolution: nodenext`; its JS API is better-sqlite3's (plus `key`/`rekey`, which Vigil
 * does not use: the key is set with `PRAGMA key`), so reuse @types/better-sqlite3.
 */
declare module 'better-sqlite3-multiple-ciphers' {
  import Database = require('better-sqlite3');
  export = Database;
}
