// ObjectStore over a local directory (the embedded default, `file:///path`).
//
// Invariants:
// - A reader never sees a partial object: every write goes to a temporary file under
//   `<root>/.floe-tmp/` first (same file system as the target), is flushed, and is then published
//   atomically: `rename()` for put (replaces), `link()` for putIfAbsent (fails with EEXIST when
//   the key exists, which is the exclusive create that makes commits safe across processes).
// - `.floe-tmp/` is not part of the key space: list() never returns it and keys may not start
//   with it.
// - Keys are '/'-separated, relative, and may not contain '.', '..' or empty segments, so a key
//   can never escape the root.

import { randomUUID } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { FloeError } from '../errors.ts';
import type { ObjectInfo, ObjectStore } from './store.ts';

const TMP_DIR = '.floe-tmp';

// Local errors that a later retry can plausibly get past (resource exhaustion, contention).
const RETRYABLE_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR', 'ETIMEDOUT', 'ENOSPC']);

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export class FileStore implements ObjectStore {
  readonly url: string;
  /** Absolute directory that key '' maps to. */
  readonly root: string;

  constructor(root: string) {
    if (!path.isAbsolute(root)) {
      throw new FloeError('FLOE_CONFIG_INVALID', `file store root must be an absolute path, got ${JSON.stringify(root)}`);
    }
    this.root = path.resolve(root);
    this.url = `file://${this.root}`;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const p = this.#path(key);
    try {
      const buf = await fs.readFile(p);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
      throw this.#ioError('get', key, err);
    }
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const target = this.#path(key);
    const tmp = await this.#writeTemp('put', key, body);
    try {
      await this.#ensureParent('put', key, target);
      await fs.rename(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      if (err instanceof FloeError) throw err;
      throw this.#ioError('put', key, err);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    const target = this.#path(key);
    // Cheap early answer; the link() below is what actually decides.
    if (await this.#exists(target)) return false;
    const tmp = await this.#writeTemp('putIfAbsent', key, body);
    try {
      await this.#ensureParent('putIfAbsent', key, target);
      await fs.link(tmp, target);
      return true;
    } catch (err) {
      if (errCode(err) === 'EEXIST') return false;
      if (err instanceof FloeError) throw err;
      throw this.#ioError('putIfAbsent', key, err);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const p = this.#path(key);
    try {
      const st = await fs.stat(p);
      if (!st.isFile()) return null;
      return { key, size: st.size, lastModified: st.mtime };
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw this.#ioError('head', key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the deepest directory the prefix pins down ('a/b/c' -> 'a/b/'), then filter.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash + 1) : '';
    if (dirKey !== '') this.#checkKey(dirKey.slice(0, -1));
    const found: ObjectInfo[] = [];
    await this.#walk(dirKey, prefix, found);
    // Lexicographic order of the UTF-8 bytes, as S3 lists.
    found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    yield* found;
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      const p = this.#path(key);
      try {
        await fs.unlink(p);
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        throw this.#ioError('delete', key, err);
      }
    }
  }

  async #walk(dirKey: string, prefix: string, out: ObjectInfo[]): Promise<void> {
    const dir = dirKey === '' ? this.root : path.join(this.root, ...dirKey.slice(0, -1).split('/'));
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw this.#ioError('list', prefix, err);
    }
    for (const e of entries) {
      if (dirKey === '' && e.name === TMP_DIR) continue;
      const key = dirKey + e.name;
      if (e.isDirectory()) {
        // Descend only where keys can still match the prefix.
        const sub = key + '/';
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) await this.#walk(sub, prefix, out);
      } else if (e.isFile() && key.startsWith(prefix)) {
        try {
          const st = await fs.stat(path.join(dir, e.name));
          out.push({ key, size: st.size, lastModified: st.mtime });
        } catch (err) {
          if (errCode(err) === 'ENOENT') continue; // deleted while listing
          throw this.#ioError('list', prefix, err);
        }
      }
    }
  }

  async #writeTemp(op: string, key: string, body: Uint8Array): Promise<string> {
    const dir = path.join(this.root, TMP_DIR);
    const tmp = path.join(dir, `${randomUUID()}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true });
      const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
      try {
        await fh.writeFile(body);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      return tmp;
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw this.#ioError(op, key, err);
    }
  }

  async #ensureParent(op: string, key: string, target: string): Promise<void> {
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
    } catch (err) {
      throw this.#ioError(op, key, err);
    }
  }

  async #exists(p: string): Promise<boolean> {
    try {
      await fs.lstat(p);
      return true;
    } catch {
      return false;
    }
  }

  #checkKey(key: string): void {
    const bad =
      key === '' ||
      key.startsWith('/') ||
      key.includes('\\') ||
      key.includes('\0') ||
      key.split('/').some((s) => s === '' || s === '.' || s === '..') ||
      key === TMP_DIR ||
      key.startsWith(TMP_DIR + '/');
    if (bad) throw new FloeError('FLOE_STORE_IO', `file store: invalid key ${JSON.stringify(key)}`);
  }

  #path(key: string): string {
    this.#checkKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  #ioError(op: string, key: string, err: unknown): FloeError {
    const code = errCode(err);
    const msg = err instanceof Error ? err.message : String(err);
    return new FloeError('FLOE_STORE_IO', `file store ${this.url}: ${op} ${JSON.stringify(key)} failed: ${msg}`, {
      cause: err,
      retryable: code !== undefined && RETRYABLE_CODES.has(code),
    });
  }
}
