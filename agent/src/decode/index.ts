// Record decoding: JSON and Avro values -> rows of the table schema.
export { createDecoder, type Decoder } from './decoder.ts';
export { createJsonDecoder } from './json.ts';
export {
  createAvroDecoder,
  avroSchemaFor,
  avroTypeFor,
  avroEncoderFor,
  frameForSchemaRegistry,
  bigintToTwosComplement,
  type AvroSchemaOptions,
} from './avro.ts';
