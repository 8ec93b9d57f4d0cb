// One decoder per table: record value bytes -> a row of the table schema, or a DecodeError whose
// message names the field path and what was wrong (the record then goes to the DLQ).

import type { SourceFormat } from '../config/model.ts';
import type { Row, Schema } from '../schema/types.ts';
import { createAvroDecoder } from './avro.ts';
import { createJsonDecoder } from './json.ts';

export interface Decoder {
  readonly format: SourceFormat;
  /** Decodes one record value. Throws DecodeError; the returned row is fresh (caller may mutate). */
  decode(value: Uint8Array | null): Row;
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
