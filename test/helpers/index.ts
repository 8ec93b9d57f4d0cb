// Test helpers for suites that run against the real rig (test/rig/up.sh). Re-exports only.
export * from './rig.ts';
export * from './names.ts';
export * from './wait.ts';
export * from './kafka.ts';
export * from './readers.ts';
export * from './multiset.ts';
