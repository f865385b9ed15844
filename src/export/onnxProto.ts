// The ONNX protobuf schema (onnx.proto of ONNX 1.12, unchanged, beside this file) loaded with
// protobufjs, and the encoding of a model object to bytes. Nothing here knows the engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { packageRoot } from '../packageRoot';

/** TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** AttributeProto.AttributeType values used here. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

let root: protobuf.Root | null = null;

/** The schema file: src/export/onnx.proto of the package (compiled code runs from dist/, the file stays in src/). */
export function onnxProtoFile(): string {
  return path.join(packageRoot(), 'src', 'export', 'onnx.proto');
}

function schema(): protobuf.Root {
  if (root) return root;
  const file = onnxProtoFile();
  if (!fs.existsSync(file))
    throw new Error(`the ONNX schema ${file} is missing from the tsnas package; reinstall tsnas (npm run setup)`);
  root = protobuf.loadSync(file);
  return root;
}

/** ModelProto as a plain object (protobufjs's camelCase field names). */
export type ModelObject = Record<string, unknown>;

/** Encodes a ModelProto object; a field that does not fit the schema is an error naming it. */
export function encodeModel(model: ModelObject): Uint8Array {
  const type = schema().lookupType('onnx.ModelProto');
  const problem = type.verify(model);
  if (problem) throw new Error(`internal error: the ONNX model does not fit onnx.proto: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/** Decodes ONNX bytes to a plain object (longs as numbers, bytes as Uint8Array): for tests and inspection. */
export function decodeModel(bytes: Uint8Array): ModelObject {
  const type = schema().lookupType('onnx.ModelProto');
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as ModelObject;
}
