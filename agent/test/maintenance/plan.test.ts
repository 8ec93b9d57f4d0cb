// The compaction planner on its own (pure), including a model of steady ingestion at production
// sizes: how often each byte is rewritten and how many files wait, per fanout.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { planPartition, smallThreshold, tierOf, type CandidateFile } from '../../src/maintenance/plan.ts';

const MiB = 1024 * 1024;

function file(i: number, size: number): CandidateFile {
  return { path: `f${String(i).padStart(6, '0')}`, sizeBytes: size, sequenceNumber: i };
}

describe('compaction planner', () => {
  it('assigns tiers by size relative to the small threshold', () => {
    const S = 96;
    assert.equal(tierOf(96, S, 4), -1); // done
    assert.equal(tierOf(95, S, 4), 0);
    assert.equal(tierOf(24, S, 4), 0);
    assert.equal(tierOf(23, S, 4), 1);
    assert.equal(tierOf(6, S, 4), 1);
    assert.equal(tierOf(5, S, 4), 2);
    assert.equal(tierOf(0, S, 4), tierOf(1, S, 4));
  });

  it('merges a tier once it holds fanout files, oldest first, and leaves fewer waiting', () => {
    const opts = { targetBytes: 128, fanout: 4 };
    const files = Array.from({ length: 10 }, (_, i) => file(i, 10));
    const groups = planPartition(files, opts);
    assert.equal(groups.length, 2);
    assert.deepEqual(groups[0].files.map((f) => f.sequenceNumber), [0, 1, 2, 3]);
    assert.deepEqual(groups[1].files.map((f) => f.sequenceNumber), [4, 5, 6, 7]);
  });

  it('closes a group at the small threshold so outputs stay below 1.5 x target, and never touches done files', () => {
    const opts = { targetBytes: 100, fanout: 8 };
    const S = smallThreshold(opts);
    const files = [file(0, 70), file(1, 70), file(2, 200), file(3, 40), file(4, 74)];
    const groups = planPartition(files, opts);
    for (const g of groups) {
      assert.ok(g.bytes < 2 * S);
      assert.ok(g.files.every((f) => f.sizeBytes < S));
    }
    assert.deepEqual(groups.map((g) => g.files.map((f) => f.sequenceNumber)), [[0, 1], [3, 4]]);
  });

  it('merges whatever a sealed partition has left, in groups of about the target', () => {
    const opts = { targetBytes: 100, fanout: 8, sealed: true };
    const groups = planPartition([file(0, 5), file(1, 40), file(2, 30), file(3, 10), file(4, 3), file(5, 90)], opts);
    assert.deepEqual(groups.map((g) => g.files.map((f) => f.sequenceNumber)), [[0, 1, 2], [3, 4]]);
    assert.deepEqual(planPartition([file(0, 5)], opts), []);
  });

  it('model: steady ingestion at production sizes rewrites each byte O(log) times and bounds waiting files', async () => {
    const rows: string[] = [];
    const results: Record<string, unknown>[] = [];
    for (const { target, ingest, fanout } of [
      { target: 128 * MiB, ingest: 1 * MiB, fanout: 8 },
      { target: 128 * MiB, ingest: 1 * MiB, fanout: 4 },
      { target: 128 * MiB, ingest: 8 * MiB, fanout: 8 },
      { target: 512 * MiB, ingest: 256 * 1024, fanout: 8 },
    ]) {
      const opts = { targetBytes: target, fanout };
      const S = smallThreshold(opts);
      let live: CandidateFile[] = [];
      let seq = 0;
      let ingested = 0;
      let rewritten = 0;
      let maxSmall = 0;
      let maxFiles = 0;
      const steps = 4000;
      for (let i = 0; i < steps; i++) {
        live.push(file(seq++, ingest));
        ingested += ingest;
        // One pass after every append (the worst case for rewriting).
        for (const g of planPartition(live, opts)) {
          const gone = new Set(g.files);
          live = live.filter((f) => !gone.has(f));
          live.push(file(seq++, g.bytes)); // the model: output = sum of inputs
          rewritten += g.bytes;
        }
        maxSmall = Math.max(maxSmall, live.filter((f) => f.sizeBytes < S).length);
        maxFiles = Math.max(maxFiles, live.length);
      }
      const tiers = tierOf(ingest, S, fanout) + 1;
      const wa = rewritten / ingested;
      assert.ok(wa <= tiers, `fanout ${fanout}: write amplification ${wa.toFixed(2)} above ${tiers} tiers`);
      assert.ok(maxSmall <= (fanout - 1) * tiers, `fanout ${fanout}: ${maxSmall} small files waiting, bound ${(fanout - 1) * tiers}`);
      const done = live.filter((f) => f.sizeBytes >= S);
      assert.ok(done.every((f) => f.sizeBytes < 2 * S));
      results.push({ target, ingest, fanout, steps, wa, maxSmall, maxFiles, tiers });
      rows.push(
        `| ${target / MiB} MiB | ${ingest >= MiB ? `${ingest / MiB} MiB` : `${ingest / 1024} KiB`} | ${fanout} | ${tiers} | ${wa.toFixed(2)} | ${maxSmall} | ${(fanout - 1) * tiers} |`,
      );
    }
    if (process.env.FLOE_WRITE_FIGURES) {
      await writeFile(path.join(process.env.FLOE_WRITE_FIGURES, 'model.md'), rows.join('\n') + '\n');
    }
  });
});
