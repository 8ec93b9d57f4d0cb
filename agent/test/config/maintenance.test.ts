// The per-table `maintenance` extension: defaults, values kept, and validation messages with the
// path and the value received.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAINTENANCE_DEFAULTS, parseYamlText, validateConfig } from '../../src/config/index.ts';

const seedText = readFileSync(fileURLToPath(new URL('../../../examples/config/seed-example.yaml', import.meta.url)), 'utf8');

function seed(): any {
  return parseYamlText(seedText);
}

function lines(doc: unknown): string[] {
  const r = validateConfig(doc);
  assert.equal(r.ok, false, 'expected validation to fail');
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

test('maintenance defaults when the block is absent: compaction on, 128 MiB target, no retention', () => {
  const r = validateConfig(seed());
  assert.ok(r.ok);
  assert.deepEqual(r.config.tables[0].maintenance, {
    compaction_enabled: true,
    target_file_size_bytes: 134_217_728,
    snapshot_max_age_seconds: 21_600,
    snapshots_min_keep: 5,
    orphan_min_age_seconds: 1800,
  });
  assert.deepEqual(r.config.tables[0].maintenance, { ...MAINTENANCE_DEFAULTS });
  assert.equal('retention_seconds' in r.config.tables[0].maintenance, false);
});

test('maintenance values are kept, unset ones defaulted', () => {
  const doc = seed();
  doc.tables[0].maintenance = { target_file_size_bytes: 64 * 1024 * 1024, retention_seconds: 7 * 86_400, compaction_enabled: false };
  const r = validateConfig(doc);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  assert.deepEqual(r.config.tables[0].maintenance, {
    ...MAINTENANCE_DEFAULTS,
    compaction_enabled: false,
    target_file_size_bytes: 67_108_864,
    retention_seconds: 604_800,
  });
  assert.deepEqual(r.config.tables[1].maintenance, { ...MAINTENANCE_DEFAULTS });
});

test('maintenance validation names the path and the value received', () => {
  const doc = seed();
  doc.tables[0].maintenance = {
    target_file_size_bytes: 1000,
    snapshot_max_age_seconds: '6h',
    snapshots_min_keep: 0,
    orphan_min_age_seconds: 10,
    retention_seconds: 1.5,
    compaction_enabled: 'yes',
    retention_secs: 5,
  };
  doc.tables[1].maintenance = 'weekly';
  assert.deepEqual(lines(doc), [
    'tables[0].maintenance.retention_secs: unknown field (did you mean retention_seconds?)',
    'tables[0].maintenance.compaction_enabled: expected true or false, got string "yes"',
    'tables[0].maintenance.target_file_size_bytes: expected an integer 1048576..4294967296, got number 1000',
    'tables[0].maintenance.snapshot_max_age_seconds: expected an integer 60..315360000, got string "6h"',
    'tables[0].maintenance.snapshots_min_keep: expected an integer 1..100000, got number 0',
    'tables[0].maintenance.orphan_min_age_seconds: expected an integer 300..31536000, got number 10',
    'tables[0].maintenance.retention_seconds: expected an integer 3600..3153600000, got number 1.5',
    'tables[1].maintenance: expected a mapping {compaction_enabled, target_file_size_bytes, snapshot_max_age_seconds, snapshots_min_keep, orphan_min_age_seconds, retention_seconds}, got string "weekly"',
  ]);
});
