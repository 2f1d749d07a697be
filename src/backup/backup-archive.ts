/**
 * The backup container: a tar stream (ustar, via tar-stream) encrypted as one age file
 * (age-encryption.org/v1, X25519 recipients, via age-encryption). Parts are streamed: a database
 * of any size passes through with flat memory, and every part's SHA-256 is computed on the way in
 * and on the way out. age authenticates every 64 KiB chunk and the end of the stream (STREAM
 * construction), so a changed or missing byte anywhere fails decryption.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Decrypter, Encrypter } from 'age-encryption';
import tar from 'tar-stream';
import { VigilError } from '../errors.ts';

/** One file going into the archive: from disk (`path`) or from memory (`data`). */
export type ArchivePart = { name: string; path: string } | { name: string; data: Buffer };

export interface PartDigest {
  name: string;
  bytes: number;
  sha256: string;
}

/** Hashes what flows through it. */
function hasher(): { stream: Transform; digest: () => { bytes: number; sha256: string } } {
  const h = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, digest: () => ({ bytes, sha256: h.digest('hex') }) };
}

/**
 * Streams `parts` into a tar, then the entries `trailer()` returns once every part is in (the
 * manifest with the digests, its signature), encrypts the whole to `recipients` and writes it to
 * `outPath`. Returns the digests of `parts`.
 */
export async function writeArchive(o: {
  outPath: string;
  recipients: readonly string[];
  parts: readonly ArchivePart[];
  trailer: (digests: PartDigest[]) => { name: string; data: Buffer }[];
}): Promise<PartDigest[]> {
  const pack = tar.pack();
  const enc = new Encrypter();
  for (const r of o.recipients) enc.addRecipient(r);
  const digests: PartDigest[] = [];
  const feed = (async () => {
    for (const p of o.parts) {
      if ('data' in p) {
        const d = createHash('sha256').update(p.data).digest('hex');
        await new Promise<void>((res, rej) =>
          pack.entry({ name: p.name, size: p.data.length, mode: 0o600 }, p.data, (e) => (e ? rej(e) : res())),
        );
        digests.push({ name: p.name, bytes: p.data.length, sha256: d });
        continue;
      }
      const size = statSync(p.path).size;
      const h = hasher();
      await new Promise<void>((res, rej) => {
        const entry = pack.entry({ name: p.name, size, mode: 0o600 }, (e) => (e ? rej(e) : res()));
        pipeline(createReadStream(p.path), h.stream, entry).catch(rej);
      });
      const d = h.digest();
      if (d.bytes !== size)
        throw new VigilError('VIGIL_ERR_STORE', `${p.name} changed while it was archived`);
      digests.push({ name: p.name, ...d });
    }
    for (const t of o.trailer(digests)) {
      await new Promise<void>((res, rej) =>
        pack.entry({ name: t.name, size: t.data.length, mode: 0o600 }, t.data, (e) => (e ? rej(e) : res())),
      );
    }
    pack.finalize();
  })();
  feed.catch((err) => pack.destroy(err));
  const plain = Readable.toWeb(Readable.from(pack)) as unknown as ReadableStream<Uint8Array>;
  const encrypted = await enc.encrypt(plain);
  const out = createWriteStream(o.outPath, { mode: 0o600, flags: 'wx' });
  await pipeline(
    Readable.fromWeb(encrypted as unknown as import('node:stream/web').ReadableStream<Uint8Array>),
    out,
  );
  await feed;
  return digests;
}

/** Names that could escape the extraction directory are refused. */
function safeName(name: string): string {
  const n = normalize(name);
  if (n.startsWith('..') || n.startsWith(sep) || n.includes(`${sep}..${sep}`) || n === '.' || n === '') {
    throw new VigilError(
      'VIGIL_ERR_BACKUP_INVALID',
      `unsafe part name ${JSON.stringify(name.slice(0, 100))}`,
    );
  }
  return n;
}

/** Largest manifest or signature read into memory. */
const MAX_SMALL_PART = 16 * 1024 * 1024;

/** Classifies an age or tar failure: a key that does not fit, or a damaged file. */
function archiveError(err: unknown): VigilError {
  if (err instanceof VigilError) return err;
  const msg = (err as Error)?.message ?? String(err);
  if (/no identity matched/.test(msg)) {
    return new VigilError(
      'VIGIL_ERR_BACKUP_IDENTITY',
      "the identity is not one of the backup's recipients (or the file's header is damaged)",
    );
  }
  return new VigilError('VIGIL_ERR_BACKUP_INVALID', `damaged or truncated: ${msg.slice(0, 200)}`);
}

/**
 * Decrypts `file` with `identities` and extracts every part into `intoDir` (which must exist,
 * mode 0700), hashing each. `keepInMemory` names parts returned as buffers instead (the manifest
 * and its signature). The caller checks the digests against the manifest.
 */
export async function readArchive(o: {
  file: string;
  identities: readonly string[];
  intoDir: string;
  keepInMemory: readonly string[];
}): Promise<{ digests: PartDigest[]; memory: Map<string, Buffer> }> {
  const dec = new Decrypter();
  for (const i of o.identities) dec.addIdentity(i);
  const digests: PartDigest[] = [];
  const memory = new Map<string, Buffer>();
  try {
    const input = Readable.toWeb(createReadStream(o.file)) as unknown as ReadableStream<Uint8Array>;
    const plain = await dec.decrypt(input);
    const extract = tar.extract();
    const source = Readable.fromWeb(plain as unknown as import('node:stream/web').ReadableStream<Uint8Array>);
    source.on('error', (err) => extract.destroy(err));
    source.pipe(extract as unknown as NodeJS.WritableStream);
    for await (const entry of extract) {
      const header = entry.header;
      if (header.type !== 'file')
        throw new VigilError('VIGIL_ERR_BACKUP_INVALID', `unexpected ${header.type} entry`);
      const name = safeName(header.name);
      if (digests.some((d) => d.name === name) || memory.has(name)) {
        throw new VigilError('VIGIL_ERR_BACKUP_INVALID', `part ${name} appears twice`);
      }
      if (o.keepInMemory.includes(name)) {
        const chunks: Buffer[] = [];
        let n = 0;
        for await (const c of entry as AsyncIterable<Buffer>) {
          n += c.length;
          if (n > MAX_SMALL_PART) throw new VigilError('VIGIL_ERR_BACKUP_INVALID', `${name} too large`);
          chunks.push(c);
        }
        memory.set(name, Buffer.concat(chunks));
        continue;
      }
      const dest = join(o.intoDir, name);
      mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
      const h = createHash('sha256');
      let bytes = 0;
      const out = createWriteStream(dest, { mode: 0o600, flags: 'wx' });
      for await (const c of entry as AsyncIterable<Buffer>) {
        h.update(c);
        bytes += c.length;
        if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
      digests.push({ name, bytes, sha256: h.digest('hex') });
    }
  } catch (err) {
    throw archiveError(err);
  }
  return { digests, memory };
}
