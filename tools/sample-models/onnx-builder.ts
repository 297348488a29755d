// A tiny ONNX writer for test models. The schema below is the subset of onnx/onnx.proto (proto2,
// package onnx) that the sample models use, with the same field numbers, labels and packing, so
// protobufjs writes exactly what the official protobuf runtime would.
import * as protobuf from 'protobufjs';

const ONNX_SUBSET_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11; TYPE_PROTO = 13;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; SPARSE_TENSORS = 12; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0; FLOAT = 1; UINT8 = 2; INT8 = 3; UINT16 = 4; INT16 = 5; INT32 = 6; INT64 = 7; STRING = 8;
    BOOL = 9; FLOAT16 = 10; DOUBLE = 11; UINT32 = 12; UINT64 = 13; COMPLEX64 = 14; COMPLEX128 = 15;
    BFLOAT16 = 16; FLOAT8E4M3FN = 17; FLOAT8E4M3FNUZ = 18; FLOAT8E5M2 = 19; FLOAT8E5M2FNUZ = 20;
    UINT4 = 21; INT4 = 22; FLOAT4E2M1 = 23; FLOAT8E8M0 = 24; UINT2 = 25; INT2 = 26;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}

message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  message Optional {
    optional TypeProto elem_type = 1;
  }
  message SparseTensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Opaque {
    optional string domain = 1;
    optional string name = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8;
    Opaque opaque_type = 7;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

// ---- plain-object shapes of the messages (field names as in onnx.proto) ----

/** TensorProto.DataType codes. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;
export type DataTypeName = keyof typeof DataType;

/** AttributeProto.AttributeType codes. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface DimensionInit {
  dim_value?: number;
  dim_param?: string;
  denotation?: string;
}
export interface TensorShapeInit {
  dim?: DimensionInit[];
}
export interface TypeProtoInit {
  tensor_type?: { elem_type?: number; shape?: TensorShapeInit };
  sequence_type?: { elem_type?: TypeProtoInit };
  map_type?: { key_type?: number; value_type?: TypeProtoInit };
  optional_type?: { elem_type?: TypeProtoInit };
  sparse_tensor_type?: { elem_type?: number; shape?: TensorShapeInit };
  opaque_type?: { domain?: string; name?: string };
  denotation?: string;
}
export interface ValueInfoInit {
  name?: string;
  type?: TypeProtoInit;
  doc_string?: string;
}
export interface TensorInit {
  dims?: number[];
  data_type?: number;
  name?: string;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  doc_string?: string;
}
export interface SparseTensorInit {
  values?: TensorInit;
  indices?: TensorInit;
  dims?: number[];
}
export interface AttributeInit {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorInit;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}
export interface NodeInit {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  domain?: string;
  attribute?: AttributeInit[];
  doc_string?: string;
}
export interface GraphInit {
  node?: NodeInit[];
  name?: string;
  initializer?: TensorInit[];
  sparse_initializer?: SparseTensorInit[];
  doc_string?: string;
  input?: ValueInfoInit[];
  output?: ValueInfoInit[];
  value_info?: ValueInfoInit[];
}
export interface OperatorSetIdInit {
  domain?: string;
  version?: number;
}
export interface ModelInit {
  ir_version?: number;
  opset_import?: OperatorSetIdInit[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph?: GraphInit;
  metadata_props?: { key?: string; value?: string }[];
}

export const SAMPLE_PRODUCER_NAME = 'modelport-sample-models';
export const SAMPLE_PRODUCER_VERSION = '1.0.0';

let schema: protobuf.Root | undefined;
function messageType(name: string): protobuf.Type {
  schema ??= protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: true }).root;
  return schema.lookupType(`onnx.${name}`);
}

function encode(name: string, value: object): Uint8Array {
  const type = messageType(name);
  const problem = type.verify(value);
  if (problem) throw new Error(`invalid onnx.${name}: ${problem}`);
  return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
}

/** Serialises a ModelProto given as a plain object (onnx.proto field names). */
export function encodeOnnxModel(model: ModelInit): Uint8Array {
  return encode('ModelProto', model);
}

/** Decodes bytes written by this module back to a plain object (for tests of the builder itself). */
export function decodeOnnxModel(bytes: Uint8Array): ModelInit {
  const type = messageType('ModelProto');
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as ModelInit;
}

// ---- helpers for building graphs ----

/** A shape entry: a number is dim_value, a string is dim_param, null is an unknown dimension. */
export type DimSpec = number | string | null;

export function shapeOf(dims: DimSpec[]): TensorShapeInit {
  return {
    dim: dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
  };
}

/** A tensor TypeProto; `shape` null (the default) leaves the rank unknown. */
export function tensorType(elemType: DataTypeName, shape: DimSpec[] | null = null): TypeProtoInit {
  return {
    tensor_type: { elem_type: DataType[elemType], ...(shape === null ? {} : { shape: shapeOf(shape) }) },
  };
}

export function valueInfo(name: string, type: TypeProtoInit): ValueInfoInit {
  return { name, type };
}

/** A FLOAT initializer stored as little-endian raw_data, as exporters write it. */
export function floatTensor(name: string, dims: number[], values: number[]): TensorInit {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`tensor ${name}: ${values.length} values for dims [${dims}]`);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { dims, data_type: DataType.FLOAT, name, raw_data: raw };
}

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  extra: { name?: string; domain?: string; attribute?: AttributeInit[] } = {},
): NodeInit {
  return { input: inputs, output: outputs, op_type: opType, ...extra };
}

export const attr = {
  int: (name: string, i: number): AttributeInit => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): AttributeInit => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): AttributeInit => ({ name, type: AttributeType.STRING, s: utf8(s) }),
  ints: (name: string, ints: number[]): AttributeInit => ({ name, type: AttributeType.INTS, ints }),
  floats: (name: string, floats: number[]): AttributeInit => ({ name, type: AttributeType.FLOATS, floats }),
  strings: (name: string, values: string[]): AttributeInit => ({
    name,
    type: AttributeType.STRINGS,
    strings: values.map(utf8),
  }),
};

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

// ---- the sample models ----

/** Weights of linearRegressionModel(): prediction = features · LINEAR_WEIGHTS + LINEAR_BIAS. */
export const LINEAR_WEIGHTS = [0.5, -1.25, 2, 0.75] as const;
export const LINEAR_BIAS = 0.125;

function linearRegressionGraph(name: string): Required<Pick<GraphInit, 'node' | 'name' | 'initializer'>> {
  return {
    name,
    node: [
      node('MatMul', ['features', 'weights'], ['matmul_out'], { name: 'matmul' }),
      node('Add', ['matmul_out', 'bias'], ['prediction'], { name: 'add_bias' }),
    ],
    initializer: [floatTensor('weights', [4, 1], [...LINEAR_WEIGHTS]), floatTensor('bias', [1], [LINEAR_BIAS])],
  };
}

/**
 * y = x·W + b: input `features` FLOAT ['batch', 4], output `prediction` FLOAT ['batch', 1];
 * MatMul with a 4x1 initializer then Add of a [1] bias. IR version 8, opset 13.
 */
export function linearRegressionModel(): Uint8Array {
  return encodeOnnxModel({
    ir_version: 8,
    producer_name: SAMPLE_PRODUCER_NAME,
    producer_version: SAMPLE_PRODUCER_VERSION,
    graph: {
      ...linearRegressionGraph('linear_regression'),
      input: [valueInfo('features', tensorType('FLOAT', ['batch', 4]))],
      output: [valueInfo('prediction', tensorType('FLOAT', ['batch', 1]))],
    },
    opset_import: [{ domain: '', version: 13 }],
  });
}

/**
 * Multinomial logistic regression on the iris data set (scikit-learn LogisticRegression(max_iter=1000)
 * fitted on all 150 samples, 97.3% training accuracy), coefficients rounded to 6 decimals.
 * Rows are classes 0 setosa, 1 versicolor, 2 virginica; columns sepal length, sepal width, petal
 * length, petal width (cm).
 */
export const IRIS_COEFFICIENTS = [
  [-0.423293, 0.967267, -2.517202, -1.079635],
  [0.53434, -0.321368, -0.206324, -0.944185],
  [-0.111047, -0.645898, 2.723526, 2.023819],
] as const;
export const IRIS_INTERCEPTS = [9.848947, 2.23694, -12.085887] as const;
export const IRIS_CLASS_NAMES = ['setosa', 'versicolor', 'virginica'] as const;

/**
 * ai.onnx.ml LinearClassifier with SOFTMAX post-transform: input `features` FLOAT ['batch', 4],
 * outputs `label` INT64 ['batch'] and `probabilities` FLOAT ['batch', 3]. Opsets '' 13 and
 * ai.onnx.ml 1, IR version 8. With `zipMap: true` the probabilities go through ZipMap, as
 * skl2onnx does by default, and `probabilities` becomes seq(map(int64, tensor(float))).
 */
export function irisClassifierModel(options: { zipMap?: boolean } = {}): Uint8Array {
  const classifierOutput = options.zipMap ? 'probability_tensor' : 'probabilities';
  const nodes: NodeInit[] = [
    node('LinearClassifier', ['features'], ['label', classifierOutput], {
      name: 'linear_classifier',
      domain: 'ai.onnx.ml',
      attribute: [
        attr.ints('classlabels_ints', [0, 1, 2]),
        attr.floats('coefficients', IRIS_COEFFICIENTS.flat()),
        attr.floats('intercepts', [...IRIS_INTERCEPTS]),
        attr.int('multi_class', 1),
        attr.string('post_transform', 'SOFTMAX'),
      ],
    }),
  ];
  let probabilities: ValueInfoInit = valueInfo('probabilities', tensorType('FLOAT', ['batch', 3]));
  if (options.zipMap) {
    nodes.push(
      node('ZipMap', [classifierOutput], ['probabilities'], {
        name: 'zipmap',
        domain: 'ai.onnx.ml',
        attribute: [attr.ints('classlabels_int64s', [0, 1, 2])],
      }),
    );
    probabilities = valueInfo('probabilities', {
      sequence_type: {
        elem_type: { map_type: { key_type: DataType.INT64, value_type: tensorType('FLOAT') } },
      },
    });
  }
  return encodeOnnxModel({
    ir_version: 8,
    producer_name: SAMPLE_PRODUCER_NAME,
    producer_version: SAMPLE_PRODUCER_VERSION,
    graph: {
      node: nodes,
      name: 'iris_classifier',
      input: [valueInfo('features', tensorType('FLOAT', ['batch', 4]))],
      output: [valueInfo('label', tensorType('INT64', ['batch'])), probabilities],
    },
    opset_import: [
      { domain: '', version: 13 },
      { domain: 'ai.onnx.ml', version: 1 },
    ],
  });
}

/**
 * The same linear regression written the pre-IR-4 way: IR version 3, opset 9, and the initializers
 * `weights` and `bias` also listed as graph inputs (with their types), as old exporters did.
 */
export function legacyInitializersAsInputsModel(): Uint8Array {
  return encodeOnnxModel({
    ir_version: 3,
    producer_name: SAMPLE_PRODUCER_NAME,
    producer_version: SAMPLE_PRODUCER_VERSION,
    graph: {
      ...linearRegressionGraph('legacy_linear_regression'),
      input: [
        valueInfo('features', tensorType('FLOAT', ['batch', 4])),
        valueInfo('weights', tensorType('FLOAT', [4, 1])),
        valueInfo('bias', tensorType('FLOAT', [1])),
      ],
      output: [valueInfo('prediction', tensorType('FLOAT', ['batch', 1]))],
    },
    opset_import: [{ domain: '', version: 9 }],
  });
}

export interface LargeInitializerOptions {
  /** Size of the embedding table's raw data, rounded up to whole rows. Default 64 MiB. */
  initializerBytes?: number;
  /** Embedding width (floats per row). Default 256. */
  embeddingDim?: number;
  /** Size of the chunks yielded for the raw data. Default 64 KiB. */
  chunkBytes?: number;
}

/** Facts about largeInitializerModel() with the given options, without building it. */
export function largeInitializerModelLayout(options: LargeInitializerOptions = {}): {
  vocabularySize: number;
  embeddingDim: number;
  initializerBytes: number;
} {
  const embeddingDim = options.embeddingDim ?? 256;
  const requested = options.initializerBytes ?? 64 * 1024 * 1024;
  const rowBytes = embeddingDim * 4;
  const vocabularySize = Math.max(1, Math.ceil(requested / rowBytes));
  return { vocabularySize, embeddingDim, initializerBytes: vocabularySize * rowBytes };
}

/**
 * An embedding lookup whose weights dominate the file: input `token_ids` INT64 ['batch', 'sequence'],
 * initializer `embedding` FLOAT [vocab, dim], Gather(axis 0) → output `embeddings` FLOAT
 * ['batch', 'sequence', dim]. IR version 8, opset 13.
 *
 * Yields the file in chunks without ever holding the weights: the raw data is one reused chunk of
 * a repeating float pattern, so files of gigabytes can be streamed in tests. Concatenated, the
 * chunks are byte for byte what protobuf would serialise (fields in field-number order).
 */
export function* largeInitializerModelChunks(options: LargeInitializerOptions = {}): Generator<Uint8Array> {
  const { vocabularySize, embeddingDim, initializerBytes } = largeInitializerModelLayout(options);
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 4 || chunkBytes % 4 !== 0) {
    throw new Error(`chunkBytes must be a positive multiple of 4, got ${chunkBytes}`);
  }

  // Serialised messages concatenate into one merged message, so each part is encoded on its own and
  // the length-delimited headers around the raw data are written by hand.
  const modelHead = encodeOnnxModel({
    ir_version: 8,
    producer_name: SAMPLE_PRODUCER_NAME,
    producer_version: SAMPLE_PRODUCER_VERSION,
  });
  const graphHead = encode('GraphProto', {
    node: [node('Gather', ['embedding', 'token_ids'], ['embeddings'], { name: 'lookup', attribute: [attr.int('axis', 0)] })],
    name: 'embedding_lookup',
  });
  const tensorHead = encode('TensorProto', {
    dims: [vocabularySize, embeddingDim],
    data_type: DataType.FLOAT,
    name: 'embedding',
  });
  const rawHeader = fieldHeader(9, initializerBytes);
  const tensorLength = tensorHead.length + rawHeader.length + initializerBytes;
  const initializerHeader = fieldHeader(5, tensorLength);
  const graphTail = encode('GraphProto', {
    input: [valueInfo('token_ids', tensorType('INT64', ['batch', 'sequence']))],
    output: [valueInfo('embeddings', tensorType('FLOAT', ['batch', 'sequence', embeddingDim]))],
  });
  const graphLength = graphHead.length + initializerHeader.length + tensorLength + graphTail.length;
  const modelTail = encodeOnnxModel({ opset_import: [{ domain: '', version: 13 }] });

  yield concatBytes([modelHead, fieldHeader(7, graphLength), graphHead, initializerHeader, tensorHead, rawHeader]);
  const pattern = new Uint8Array(Math.min(chunkBytes, initializerBytes));
  const view = new DataView(pattern.buffer);
  for (let i = 0; i < pattern.length / 4; i++) view.setFloat32(i * 4, Math.sin(i) / 8, true);
  for (let sent = 0; sent < initializerBytes; sent += pattern.length) {
    yield sent + pattern.length <= initializerBytes ? pattern : pattern.subarray(0, initializerBytes - sent);
  }
  yield concatBytes([graphTail, modelTail]);
}

/** largeInitializerModelChunks() as one array (this one holds the whole file in memory). */
export function largeInitializerModel(options: LargeInitializerOptions = {}): Uint8Array {
  // The chunks of raw data are views of one constant buffer, so collecting them first is safe.
  return concatBytes([...largeInitializerModelChunks(options)]);
}

/** Tag and length prefix of a length-delimited field. */
function fieldHeader(fieldNumber: number, length: number): Uint8Array {
  return concatBytes([encodeVarint(fieldNumber * 8 + 2), encodeVarint(length)]);
}

function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`cannot encode ${value} as a varint`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
