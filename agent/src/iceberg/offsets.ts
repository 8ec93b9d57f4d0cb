// Kafka offsets recorded in Iceberg snapshot summaries: the table is the source of truth for
// what has been consumed (DESIGN.md, "Exactly-once contract").
//
// Each snapshot that carries data (or compacts it) stores, under `floe.kafka.offsets`, the next
// offset of every Kafka partition whose data the table holds, as
//   {"topic":"t","partitions":{"0":"123","1":"456"}}
// (offsets as decimal strings: they are 64-bit). A commit merges its partitions into the offsets
// already recorded; partitions it does not touch keep their recorded value.

import { FloeError } from '../errors.ts';
import { ancestors, type Snapshot, type TableMetadata } from './metadata.ts';

export const OFFSETS_SUMMARY_KEY = 'floe.kafka.offsets';

export interface KafkaOffsets {
  topic: string;
  /** Kafka partition -> next offset to consume. */
  partitions: Map<number, bigint>;
}

export function encodeOffsets(o: KafkaOffsets): string {
  const partitions: Record<string, string> = {};
  for (const p of [...o.partitions.keys()].sort((a, b) => a - b)) partitions[String(p)] = o.partitions.get(p)!.toString();
  return JSON.stringify({ topic: o.topic, partitions });
}

export function decodeOffsets(text: string): KafkaOffsets {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FloeError('FLOE_TABLE_CORRUPT', `snapshot summary ${OFFSETS_SUMMARY_KEY} is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  const o = raw as { topic?: unknown; partitions?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.topic !== 'string' || typeof o.partitions !== 'object' || o.partitions === null) {
    throw new FloeError('FLOE_TABLE_CORRUPT', `snapshot summary ${OFFSETS_SUMMARY_KEY} has an unexpected shape: ${text.slice(0, 200)}`);
  }
  const partitions = new Map<number, bigint>();
  for (const [k, v] of Object.entries(o.partitions as Record<string, unknown>)) {
    const p = Number(k);
    if (!Number.isInteger(p) || p < 0 || (typeof v !== 'string' && typeof v !== 'number') || !/^\d+$/.test(String(v))) {
      throw new FloeError('FLOE_TABLE_CORRUPT', `snapshot summary ${OFFSETS_SUMMARY_KEY}: bad entry ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    }
    partitions.set(p, BigInt(v));
  }
  return { topic: o.topic, partitions };
}

/** The offsets a snapshot records itself, or null when its summary has none. */
export function snapshotOffsets(s: Snapshot): KafkaOffsets | null {
  const text = s.summary[OFFSETS_SUMMARY_KEY];
  return text === undefined ? null : decodeOffsets(text);
}

/**
 * The offsets recorded for the table's current state: those of the current snapshot, or of its
 * nearest ancestor that has them (a snapshot written by another engine may lack the key).
 */
export function readRecordedOffsets(md: TableMetadata): KafkaOffsets | null {
  for (const s of ancestors(md)) {
    const o = snapshotOffsets(s);
    if (o) return o;
  }
  return null;
}

/**
 * Kafka partition -> next offset committed to the table. Empty for a table without offsets, or
 * when `topic` is given and the table records another topic.
 */
export function readCommittedOffsets(md: TableMetadata, topic?: string): Map<number, bigint> {
  const o = readRecordedOffsets(md);
  if (!o || (topic !== undefined && o.topic !== topic)) return new Map();
  return new Map(o.partitions);
}

/** `recorded` with `next`'s partitions set to `next`'s values (other topics are not kept). */
export function mergeOffsets(recorded: KafkaOffsets | null, next: KafkaOffsets): KafkaOffsets {
  const partitions = recorded && recorded.topic === next.topic ? new Map(recorded.partitions) : new Map<number, bigint>();
  for (const [p, o] of next.partitions) partitions.set(p, o);
  return { topic: next.topic, partitions };
}

/**
 * A precondition for AppendFiles: the data being committed starts, per Kafka partition, exactly
 * at the table's committed next offset (or the partition has no committed offset yet). Any other
 * value means another writer committed an overlapping or later range.
 */
export function offsetsContinueFrom(start: Map<number, bigint>): (committed: Map<number, bigint>) => boolean {
  return (committed) => {
    for (const [p, first] of start) {
      const c = committed.get(p);
      if (c !== undefined && c !== first) return false;
    }
    return true;
  };
}
