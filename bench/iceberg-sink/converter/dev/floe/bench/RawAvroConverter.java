// A Kafka Connect converter for raw Avro binary values (no schema-registry framing) written with one
// fixed writer schema, read from the file named by `schema.path`. The benchmark needs it because the
// Confluent AvroConverter is not published on Maven Central and expects a schema registry; this does
// the same decoding with the schema given up front, and hands the Iceberg sink Connect Structs.
package dev.floe.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;

public class RawAvroConverter implements Converter {
  private org.apache.avro.Schema avroSchema;
  private Schema connectSchema;
  private GenericDatumReader<GenericRecord> reader;
  private BinaryDecoder decoder;

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    Object path = configs.get("schema.path");
    if (path == null) throw new DataException("RawAvroConverter needs schema.path");
    try {
      avroSchema = new org.apache.avro.Schema.Parser().parse(Files.readString(Path.of(path.toString())));
    } catch (IOException e) {
      throw new DataException("cannot read Avro schema " + path, e);
    }
    connectSchema = toConnect(avroSchema, false);
    reader = new GenericDatumReader<>(avroSchema);
  }

  @Override
  public byte[] fromConnectData(String topic, Schema schema, Object value) {
    throw new DataException("RawAvroConverter only reads");
  }

  @Override
  public SchemaAndValue toConnectData(String topic, byte[] value) {
    if (value == null) return SchemaAndValue.NULL;
    try {
      decoder = DecoderFactory.get().binaryDecoder(value, decoder);
      GenericRecord record = reader.read(null, decoder);
      return new SchemaAndValue(connectSchema, toValue(connectSchema, record));
    } catch (IOException | RuntimeException e) {
      throw new DataException("cannot decode Avro value of " + value.length + " bytes on " + topic, e);
    }
  }

  private static Schema toConnect(org.apache.avro.Schema s, boolean optional) {
    switch (s.getType()) {
      case UNION: {
        List<org.apache.avro.Schema> types = s.getTypes();
        org.apache.avro.Schema other = null;
        for (org.apache.avro.Schema t : types) if (t.getType() != org.apache.avro.Schema.Type.NULL) other = t;
        if (other == null || types.size() > 2) throw new DataException("unsupported union " + s);
        return toConnect(other, true);
      }
      case RECORD: {
        SchemaBuilder b = SchemaBuilder.struct().name(s.getFullName());
        for (org.apache.avro.Schema.Field f : s.getFields()) b.field(f.name(), toConnect(f.schema(), false));
        return finish(b, optional);
      }
      case ARRAY: return finish(SchemaBuilder.array(toConnect(s.getElementType(), false)), optional);
      case MAP: return finish(SchemaBuilder.map(Schema.STRING_SCHEMA, toConnect(s.getValueType(), false)), optional);
      case STRING: case ENUM: return finish(SchemaBuilder.string(), optional);
      case INT: return finish(SchemaBuilder.int32(), optional);
      case LONG: return finish(SchemaBuilder.int64(), optional);
      case FLOAT: return finish(SchemaBuilder.float32(), optional);
      case DOUBLE: return finish(SchemaBuilder.float64(), optional);
      case BOOLEAN: return finish(SchemaBuilder.bool(), optional);
      case BYTES: case FIXED: return finish(SchemaBuilder.bytes(), optional);
      default: throw new DataException("unsupported Avro type " + s.getType());
    }
  }

  private static Schema finish(SchemaBuilder b, boolean optional) {
    return (optional ? b.optional() : b).build();
  }

  private static Object toValue(Schema schema, Object v) {
    if (v == null) return null;
    switch (schema.type()) {
      case STRUCT: {
        GenericRecord r = (GenericRecord) v;
        Struct out = new Struct(schema);
        for (org.apache.kafka.connect.data.Field f : schema.fields()) out.put(f, toValue(f.schema(), r.get(f.name())));
        return out;
      }
      case ARRAY: {
        List<?> in = (List<?>) v;
        List<Object> out = new ArrayList<>(in.size());
        for (Object e : in) out.add(toValue(schema.valueSchema(), e));
        return out;
      }
      case MAP: {
        Map<?, ?> in = (Map<?, ?>) v;
        Map<String, Object> out = new HashMap<>(in.size() * 2);
        for (Map.Entry<?, ?> e : in.entrySet()) out.put(e.getKey().toString(), toValue(schema.valueSchema(), e.getValue()));
        return out;
      }
      case STRING: return v.toString();
      case BYTES: {
        if (v instanceof ByteBuffer) {
          ByteBuffer bb = ((ByteBuffer) v).duplicate();
          byte[] bytes = new byte[bb.remaining()];
          bb.get(bytes);
          return bytes;
        }
        return ((GenericData.Fixed) v).bytes();
      }
      default: return v;
    }
  }
}
