// The shape of the tables the agent writes, beyond the user's declared columns.
//
// Every table carries three Kafka columns after the declared ones: the record's partition, offset
// and timestamp. They make each row traceable to its record (and exactly-once checkable by any
// reader), and `_kafka_timestamp` is the source column of the `hour` partition transform. Their field
// ids sit in a reserved range (RESERVED_FIELD_ID_BASE and up) that the configuration refuses for
// user fields, so adding columns later can never collide with them.
//
// A table's dead letters go to a table beside it, named `<table>+dlq` (Kafka topic names cannot
// contain '+', so the name is unambiguous), unpartitioned, with the raw key and value, where the
// record came from, and why it was refused.

import type { NestedField, Row, Schema } from '../schema/types.ts';
import type { SourceRecord } from '../source/kafka.ts';

export const RESERVED_FIELD_ID_BASE = 2_000_000_000;

/** Key prefix of a table inside the store: `_tableflow/<cluster>+<topic>/` (DESIGN.md). */
export function tablePrefix(name: string): string {
  return `_tableflow/${name}/`;
}

export const KAFKA_COLUMNS: NestedField[] = [
  { id: RESERVED_FIELD_ID_BASE + 1, name: '_kafka_partition', required: true, type: 'int', doc: 'Kafka partition of the record' },
  { id: RESERVED_FIELD_ID_BASE + 2, name: '_kafka_offset', required: true, type: 'long', doc: 'Kafka offset of the record' },
  { id: RESERVED_FIELD_ID_BASE + 3, name: '_kafka_timestamp', required: true, type: 'timestamptz', doc: 'Kafka record timestamp' },
];

export const KAFKA_TIMESTAMP_COLUMN = '_kafka_timestamp';

/** The declared schema plus the Kafka columns. */
export function tableSchema(declared: Schema): Schema {
  const names = new Set(declared.fields.map((f) => f.name));
  const extra = KAFKA_COLUMNS.filter((f) => !names.has(f.name));
  return { ...declared, fields: [...declared.fields, ...extra] };
}

export const DLQ_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'topic', required: true, type: 'string' },
    { id: 2, name: 'partition', required: true, type: 'int' },
    { id: 3, name: 'offset', required: true, type: 'long' },
    { id: 4, name: 'timestamp', required: true, type: 'timestamptz' },
    { id: 5, name: 'key', required: false, type: 'binary' },
    { id: 6, name: 'value', required: false, type: 'binary' },
    { id: 7, name: 'reason', required: true, type: 'string' },
    { id: 8, name: 'failed_at', required: true, type: 'timestamptz' },
  ],
};

export function dlqRow(topic: string, rec: SourceRecord, reason: string): Row {
  return {
    topic,
    partition: rec.partition,
    offset: rec.offset,
    timestamp: rec.timestamp * 1000n,
    key: rec.key ? new Uint8Array(rec.key.buffer, rec.key.byteOffset, rec.key.byteLength) : null,
    value: rec.value ? new Uint8Array(rec.value.buffer, rec.value.byteOffset, rec.value.byteLength) : null,
    reason,
    failed_at: BigInt(Date.now()) * 1000n,
  };
}
