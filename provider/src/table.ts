// Table: one Kafka topic of a SourceCluster ingested into an Iceberg table (and its Delta
// projection) named `<cluster>+<topic>`, as a floe_table resource. The schema comes from the typed
// builder (schema.ts) and is checked again here against the format (Avro needs Avro names), so a
// mistake fails `cdktf synth`; migrations are checked by the control API when Terraform plans.

import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { Table as TableResource, type TableSchemaFields } from './.gen/floe/table/index.js';
import { InvalidPropsError, InvalidSchemaError, show } from './errors.ts';
import { checkFields, type Schema, type SchemaField } from './schema.ts';
import type { SourceCluster } from './source-cluster.ts';

export const SourceFormat = { JSON: 'json', AVRO: 'avro' } as const;
export type SourceFormat = (typeof SourceFormat)[keyof typeof SourceFormat];

export const Partitioning = { UNPARTITIONED: 'unpartitioned', HOUR: 'hour' } as const;
export type Partitioning = (typeof Partitioning)[keyof typeof Partitioning];

export interface TableProps {
  /** The cluster the topic lives on. */
  readonly sourceCluster: SourceCluster;
  /** Kafka topic to ingest. Changing it replaces the table. */
  readonly topic: string;
  /** Encoding of the topic's record values. */
  readonly format: SourceFormat;
  /** The table's columns (Schema.of(...)). */
  readonly schema: Schema;
  /**
   * Partitioning by record timestamp. The API refuses changing it on an existing table.
   * @default Partitioning.UNPARTITIONED
   */
  readonly partitioning?: Partitioning;
  /**
   * Age of the oldest buffered record before a commit: the table's freshness bound (1-86400).
   * @default 60
   */
  readonly flushIntervalSeconds?: number;
  /**
   * Buffered records before a commit (1-100000000).
   * @default 1000000
   */
  readonly flushMaxRecords?: number;
  /**
   * Estimated buffered bytes before a commit (1 MiB - 4 GiB).
   * @default 67108864
   */
  readonly flushMaxBytes?: number;
  /**
   * Also publish the table as Delta Lake.
   * @default true
   */
  readonly deltaEnabled?: boolean;
  /**
   * Send undecodable records to the dead-letter table `<name>+dlq` instead of stopping.
   * @default true
   */
  readonly dlqEnabled?: boolean;
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export class Table extends Construct {
  /** The table's name, `<cluster>+<topic>`. */
  readonly tableName: string;
  readonly schema: Schema;
  /** The underlying floe_table resource. */
  readonly resource: TableResource;

  constructor(scope: Construct, id: string, props: TableProps) {
    super(scope, id);
    validate(id, props);
    this.schema = props.schema;
    this.tableName = `${props.sourceCluster.name}+${props.topic}`;

    const flush: Record<string, number> = {};
    if (props.flushIntervalSeconds !== undefined) flush.intervalSeconds = props.flushIntervalSeconds;
    if (props.flushMaxRecords !== undefined) flush.maxRecords = props.flushMaxRecords;
    if (props.flushMaxBytes !== undefined) flush.maxBytes = props.flushMaxBytes;

    this.resource = new TableResource(this, 'resource', {
      provider: props.sourceCluster.cluster.provider,
      // A reference, not the literal name, so Terraform creates the cluster first.
      sourceClusterName: props.sourceCluster.resource.name,
      sourceTopic: props.topic,
      sourceFormat: props.format,
      schema: { fields: props.schema.fields.map(toResourceField) },
      ...(props.partitioning !== undefined ? { partitioningScheme: props.partitioning } : {}),
      ...(Object.keys(flush).length > 0 ? { flush } : {}),
      ...(props.deltaEnabled !== undefined ? { delta: { enabled: props.deltaEnabled } } : {}),
      ...(props.dlqEnabled !== undefined ? { dlq: { enabled: props.dlqEnabled } } : {}),
    });
  }
}

function toResourceField(f: SchemaField): TableSchemaFields {
  return {
    name: f.name,
    id: f.id,
    type: f.type,
    // Written out even when false, so the synthesized JSON reads like the seed's YAML.
    optional: f.optional,
    ...(f.doc !== undefined ? { doc: f.doc } : {}),
    ...(f.fields !== undefined ? { fields: f.fields.map(toResourceField) } : {}),
  };
}

function validate(id: string, props: TableProps): void {
  const where = `Table ${show(id)}`;
  if (!Token.isUnresolved(props.topic) && (typeof props.topic !== 'string' || !TOPIC.test(props.topic) || props.topic === '.' || props.topic === '..')) {
    throw new InvalidPropsError(`${where}: topic must be a Kafka topic name (1-249 letters, digits, '.', '_' or '-'), got ${show(props.topic)}`);
  }
  if (props.format !== 'json' && props.format !== 'avro') {
    throw new InvalidPropsError(`${where}: format must be "json" or "avro", got ${show(props.format)}`);
  }
  if (props.partitioning !== undefined && props.partitioning !== 'unpartitioned' && props.partitioning !== 'hour') {
    throw new InvalidPropsError(`${where}: partitioning must be "unpartitioned" or "hour", got ${show(props.partitioning)}`);
  }
  const ranges = [
    ['flushIntervalSeconds', 1, 86_400],
    ['flushMaxRecords', 1, 100_000_000],
    ['flushMaxBytes', 1024 * 1024, 4 * 1024 * 1024 * 1024],
  ] as const;
  for (const [key, min, max] of ranges) {
    const v = props[key];
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
      throw new InvalidPropsError(`${where}: ${key} must be an integer ${min}..${max}, got ${show(v)}`);
    }
  }
  if (props.schema === undefined || !Array.isArray(props.schema.fields)) {
    throw new InvalidPropsError(`${where}: schema must be built with Schema.of(...), got ${show(props.schema)}`);
  }
  // Schema.of checked the structure; the format adds Avro's naming rules.
  const issues = checkFields(props.schema.fields, { avroNames: props.format === 'avro' });
  if (issues.length > 0) throw new InvalidSchemaError(`table ${show(`${props.sourceCluster.name}+${props.topic}`)}`, issues);
}
