// One decoder per table: record value bytes -> a row of the table schema, or a DecodeError whose
// message names the field path and what was wrong (the record then goes to the DLQ).

import type { SourceFormat } from '../config/model.ts';
import type { Row, Schema } from '../schema/types.ts';
import type { Column } from '../parquet/columns.ts';
import { createAvroDecoder } from './avro.ts';
import { createJsonDecoder } from './json.ts';

export interface Decoder {
  readonly format: SourceFormat;
  /** Decodes one record value. Throws DecodeError; the returned row is fresh (caller may mutate). */
  decode(value: Uint8Array | null): Row;
  /**
   * The fast path, where the format has one for this schema: appends the fields of the value
   * buf[start, end) straight to the declared columns (the first ones of `columns`, a file
   * builder's top-level columns), with no row object. Returns false for a value it leaves to
   * `decode` (which then accepts or refuses it); the caller drops whatever it appended of that
   * value (ParquetFileBuilder.appendWith truncates the columns). It never accepts a value `decode`
   * would refuse.
   */
  appendTo?(buf: Uint8Array, start: number, end: number, columns: readonly Column[]): boolean;
}

/** Compiles the decoder of a table once; call `decode` per record. */
export function createDecoder(format: SourceFormat, schema: Schema): Decoder {
  switch (format) {
    case 'json':
      return createJsonDecoder(schema);
    case 'avro':
      return createAvroDecoder(schema);
    default:
      throw new Error(`unsupported source format ${String(format)}`);
  }
}
