// Test helpers: a stack with the AWS provider, synthesized to plain JSON, and accessors for the
// resources of one type.
import { App, TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import type { Construct } from 'constructs';
import { Schema, type SchemaField } from '../src/index.ts';

export type Synth = {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  provider?: Record<string, Record<string, unknown>[]>;
  output?: Record<string, { value: unknown }>;
  terraform?: { required_providers?: Record<string, { source: string; version?: string }> };
};

/** Builds a stack (with an AWS provider when `aws`) with `build`, synthesizes it and parses the JSON. */
export function synth(build: (stack: TerraformStack) => void, options: { aws?: boolean } = {}): Synth {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'test');
  if (options.aws ?? true) new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  build(stack);
  return JSON.parse(Testing.synth(stack, true)) as Synth;
}

/** Every resource of a type, by its synthesized name. */
export function resources(s: Synth, type: string): Record<string, Record<string, unknown>> {
  return s.resource?.[type] ?? {};
}

/** The only resource of a type; fails unless there is exactly one. */
export function only(s: Synth, type: string): Record<string, unknown> {
  const all = Object.values(resources(s, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** What `fn` throws; fails the test when it does not throw. */
export function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** What building constructs in a fresh stack throws. */
export function thrown(build: (scope: Construct) => void): Error {
  return catchError(() => build(new TerraformStack(Testing.app(), 'test')));
}

/** The seed's Avro events schema (tableflow-setup.txt), built with the typed helpers. */
export function seedEventsSchema(extra: SchemaField[] = []): Schema {
  return Schema.of(
    Schema.string('event_id', 1),
    Schema.long('user_id', 2),
    Schema.string('session_id', 3),
    Schema.struct('profile', 4, [Schema.string('country', 5), Schema.string('language', 6)]),
    Schema.struct('device', 7, [
      Schema.string('type', 8),
      Schema.struct('os', 9, [Schema.string('name', 10), Schema.string('version', 11), Schema.string('vendor', 25, { optional: true })]),
      Schema.struct('browser', 12, [Schema.string('name', 13), Schema.string('version', 14)]),
      Schema.struct('screen', 15, [
        Schema.int('width', 16),
        Schema.int('height', 17),
        Schema.double('pixel_ratio', 18),
        Schema.string('model', 19, { optional: true }),
      ]),
    ]),
    Schema.list('cookies', 20, { elementId: 21, element: 'string' }),
    Schema.map('event_attributes', 22, { keyId: 23, key: 'string', valueId: 24, value: 'string' }),
    ...extra,
  );
}


