// @floe/cdktf: CDKTF constructs for Floe. Re-exports only.
export { FloeCluster, type FloeClusterProps } from './cluster.ts';
export { SourceCluster, SaslMechanism, type SourceClusterProps } from './source-cluster.ts';
export { Table, SourceFormat, Partitioning, type TableProps } from './table.ts';
export {
  Schema,
  checkFields,
  MAX_FIELD_DEPTH,
  PRIMITIVE_TYPES,
  type SchemaField,
  type FieldOptions,
  type ListOptions,
  type MapOptions,
  type ElementType,
  type NestedType,
  type PrimitiveType,
} from './schema.ts';
export { FloeCdktfError, InvalidPropsError, InvalidSchemaError, FLOE_CDKTF_CODES, type FloeCdktfCode } from './errors.ts';
export type { PolicyDocument, PolicyStatement } from './private/policy.ts';
/** The generated L1 bindings of the floe provider, for what the constructs do not cover. */
export * as floe from './.gen/floe/index.js';
