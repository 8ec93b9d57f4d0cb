// The configuration: the seed's Tableflow YAML as a typed, validated model.
export * from './model.ts';
export { validateConfig, parseConfig, tableSchema, type ValidationResult } from './validate.ts';
export { loadConfig, loadConfigFile, configToYaml, configToJson, configToPlain, parseYamlText, parseJsonText, type ConfigFormat, type LoadOptions } from './load.ts';
export { parseBucketUrl, type BucketLocation } from './bucket.ts';
export { resolveCredentials, resolveConnection, ENV_PREFIX, type ResolvedCredentials, type ResolvedConnection } from './credentials.ts';
