/**
 * Writing files that hold secrets or must never be half-written (device bundles, sealed keys,
 * certificates, the CRL, checkpoints, reports), in directories someone else might also write to.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VigilError } from './errors.ts';

/**
 * Writes `path` atomically: the data goes to a new temporary file next to it, whose name has a
 * random suffix (nobody can predict it and plant a link there first) and which is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW (the `wx` flags, and no symbolic link is followed: if the name exists
 * in any form, the open fails), with its final mode from the start, flushed to disk, then renamed
 * over `path` (rename replaces a link at `path` itself, it does not write through it).
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

/**
 * Makes sure `dir` is a directory only this user can write to, creating it (mode 0700) when
 * missing. Refused (VIGIL_ERR_USAGE): a symbolic link, something that is not a directory, a
 * directory of another owner, or one that group or others may write to: they could swap or plant
 * files between our writes (a shared /tmp is the classic case).
 */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new VigilError('VIGIL_ERR_USAGE', `cannot create ${dir}: ${(err as Error).message}`);
    }
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new VigilError('VIGIL_ERR_USAGE', `${dir} is not a directory (a symbolic link is refused)`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new VigilError('VIGIL_ERR_USAGE', `${dir} belongs to another user; choose a directory of your own`);
  }
  if (st.mode & 0o022) {
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `${dir} can be written by other users (mode ${(st.mode & 0o777).toString(8)}); use a private directory (chmod go-w)`,
    );
  }
}
