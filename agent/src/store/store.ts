// One object-store interface, two implementations (file:// and s3://). Keys are relative to the
// store's root (bucket + prefix), use '/' separators and never start with '/'.

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStore {
  /** Human-readable location of the root, e.g. `s3://bucket/prefix` or `file:///data/wh`. */
  readonly url: string;
  /** Object bytes, or null when the key does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  /** Unconditional write (overwrites). Large bodies use multipart upload on S3. */
  put(key: string, body: Uint8Array): Promise<void>;
  /**
   * Create the object only if the key does not exist yet (S3 `If-None-Match: *`, exclusive create
   * on file://). Returns false when the key already existed; nothing is written then.
   */
  putIfAbsent(key: string, body: Uint8Array): Promise<boolean>;
  /** Metadata of one object, or null when it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, in lexicographic key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Delete the objects; missing keys are not an error. */
  delete(keys: string[]): Promise<void>;
}
