// A read cache for the maintainer's view of a table's store. Manifests and manifest lists
// (`metadata/*.avro`) are immutable: every writer gives them a fresh unique name and never
// rewrites one. Caching their bytes makes a maintenance commit that lost a race cheap to re-apply:
// the re-run reads only the few manifests the winning commit added, so it does not keep losing to
// frequent ingestion commits. Everything else passes straight through.

import type { ObjectInfo, ObjectStore } from '../store/store.ts';

const IMMUTABLE = /(^|\/)metadata\/[^/]+\.avro$/;

export class ManifestCachingStore implements ObjectStore {
  readonly inner: ObjectStore;
  readonly maxBytes: number;
  readonly #cache = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(inner: ObjectStore, maxBytes = 16 * 1024 * 1024) {
    this.inner = inner;
    this.maxBytes = maxBytes;
  }

  get url(): string {
    return this.inner.url;
  }

  async get(key: string): Promise<Uint8Array | null> {
    if (!IMMUTABLE.test(key)) return this.inner.get(key);
    const hit = this.#cache.get(key);
    if (hit) {
      this.#cache.delete(key); // most recently used last
      this.#cache.set(key, hit);
      return hit;
    }
    const bytes = await this.inner.get(key);
    if (bytes !== null && bytes.byteLength <= this.maxBytes / 4) this.#remember(key, bytes);
    return bytes;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    this.#forget(key);
    await this.inner.put(key, body);
  }

  putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    return this.inner.putIfAbsent(key, body);
  }

  head(key: string): Promise<ObjectInfo | null> {
    return this.inner.head(key);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }

  async delete(keys: string[]): Promise<void> {
    for (const k of keys) this.#forget(k);
    await this.inner.delete(keys);
  }

  #remember(key: string, bytes: Uint8Array): void {
    this.#cache.set(key, bytes);
    this.#bytes += bytes.byteLength;
    for (const [k, v] of this.#cache) {
      if (this.#bytes <= this.maxBytes) break;
      this.#cache.delete(k);
      this.#bytes -= v.byteLength;
    }
  }

  #forget(key: string): void {
    const v = this.#cache.get(key);
    if (v) {
      this.#cache.delete(key);
      this.#bytes -= v.byteLength;
    }
  }
}
