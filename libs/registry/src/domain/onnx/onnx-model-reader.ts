// Reads what the registry needs from an ONNX model (IR version, opsets, producer and the graph's
// input/output signature) from a stream, in bounded memory.
//
// Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, ValueInfoProto, TypeProto,
// TensorShapeProto, TensorProto, SparseTensorProto, OperatorSetIdProto). Initializers (the weights)
// and nodes are streamed past without being copied; only initializer names are kept, to drop
// old-style inputs that are really weights. Graph inputs/outputs and opset imports are small
// messages: each is read into memory and decoded there, all of them counted against
// maxMetadataBytes.
import type { Readable } from 'node:stream';
import { OnnxParseError } from './onnx.errors';
import {
  BufferWireReader,
  decodeUtf8,
  FieldTag,
  StreamWireReader,
  WireFormatError,
  WireFormatErrorCode,
  WireType,
} from './protobuf-wire-reader';

export type TensorKind = 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor';

/** One graph input or output. */
export interface TensorSpec {
  name: string;
  /**
   * ONNX TensorProto.DataType name (FLOAT, INT64, STRING, BOOL, FLOAT16, BFLOAT16, DOUBLE, UINT8, ...).
   * For a sequence or optional it is the element's type, for a map the value's type (so a ZipMap
   * output `seq(map(int64, tensor(float)))` is kind 'sequence' with elementType FLOAT). An unset
   * type is UNDEFINED; a code this reader does not know is `DATA_TYPE_<code>`.
   */
  elementType: string;
  /**
   * One entry per dimension: a number for dim_value, a string for a symbolic dim_param, null when
   * the dimension is unknown. null when the rank is unknown (no shape), and always for maps.
   * For a sequence or optional it is the element's shape.
   */
  shape: (number | string | null)[] | null;
  kind: TensorKind;
}

export interface OnnxSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface OnnxModelInfo {
  irVersion: number;
  /** As declared; the default ONNX domain is usually written as '' (sometimes 'ai.onnx'). */
  opsets: { domain: string; version: number }[];
  /** null when absent or empty. */
  producerName: string | null;
  producerVersion: string | null;
  graphName: string | null;
  signature: OnnxSignature;
}

export interface ReadOnnxModelInfoOptions {
  /**
   * Most bytes the reader may hold for metadata at once, in total: graph inputs and outputs,
   * opset imports, producer/graph names and initializer names. Default 16 MiB.
   */
  maxMetadataBytes?: number;
}

export const DEFAULT_MAX_METADATA_BYTES = 16 * 1024 * 1024;
/** Accepted ModelProto.ir_version range: 1 (2017) up to a margin above the current IR version. */
export const MIN_ONNX_IR_VERSION = 1;
export const MAX_ONNX_IR_VERSION = 20;

const MAX_TYPE_NESTING = 32;

// TensorProto.DataType, by code.
const DATA_TYPE_NAMES = [
  'UNDEFINED',
  'FLOAT',
  'UINT8',
  'INT8',
  'UINT16',
  'INT16',
  'INT32',
  'INT64',
  'STRING',
  'BOOL',
  'FLOAT16',
  'DOUBLE',
  'UINT32',
  'UINT64',
  'COMPLEX64',
  'COMPLEX128',
  'BFLOAT16',
  'FLOAT8E4M3FN',
  'FLOAT8E4M3FNUZ',
  'FLOAT8E5M2',
  'FLOAT8E5M2FNUZ',
  'UINT4',
  'INT4',
  'FLOAT4E2M1',
  'FLOAT8E8M0',
  'UINT2',
  'INT2',
] as const;

/** The TensorProto.DataType name for a code, e.g. 1 → FLOAT. */
export function onnxDataTypeName(code: number): string {
  return DATA_TYPE_NAMES[code] ?? `DATA_TYPE_${code}`;
}

// Field numbers from onnx.proto.
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 } as const;
const OPSET = { domain: 1, version: 2 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, sparseInitializer: 15 } as const;
const TENSOR_PROTO = { name: 8 } as const;
const SPARSE_TENSOR_PROTO = { values: 1 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE_PROTO = { tensor: 1, sequence: 4, map: 5, opaque: 7, sparseTensor: 8, optional: 9 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SEQUENCE_OR_OPTIONAL = { elemType: 1 } as const;
const MAP_TYPE = { keyType: 1, valueType: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIMENSION = { dimValue: 1, dimParam: 2 } as const;

/**
 * Reads the model's IR version, opsets, producer and signature from `source`, consuming it to the
 * end. Memory stays bounded by one source chunk plus maxMetadataBytes, whatever the file size.
 * Rejects with OnnxParseError when the bytes are not a usable ONNX model; errors of the source
 * itself are passed through. On failure the source is released (a Readable is destroyed).
 */
export async function readOnnxModelInfo(
  source: Readable | AsyncIterable<Uint8Array>,
  options: ReadOnnxModelInfoOptions = {},
): Promise<OnnxModelInfo> {
  const maxMetadataBytes = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  if (!Number.isSafeInteger(maxMetadataBytes) || maxMetadataBytes <= 0) {
    throw new RangeError(`maxMetadataBytes must be a positive integer, got ${maxMetadataBytes}`);
  }
  const reader = new StreamWireReader(source);
  const ctx = new ParseContext(maxMetadataBytes);
  try {
    if (await reader.atEnd()) throw OnnxParseError.emptyFile();
    const model = await parseModel(reader, ctx);
    return toModelInfo(model);
  } catch (error) {
    throw explain(error, reader, ctx);
  } finally {
    await reader.close().catch(() => undefined);
  }
}

interface GraphState {
  name: string | null;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  initializerNames: Set<string>;
}

interface ModelState {
  irVersion: number | undefined;
  opsets: { domain: string; version: number }[];
  producerName: string | null;
  producerVersion: string | null;
  graph: GraphState | undefined;
}

class ParseContext {
  /** Where the reader is, for error messages. */
  section = 'the model header';
  private used = 0;

  constructor(readonly maxMetadataBytes: number) {}

  /** Accounts for `bytes` of metadata about to be held; refuses before anything is allocated. */
  reserve(bytes: number): void {
    if (this.used + bytes > this.maxMetadataBytes) {
      throw OnnxParseError.metadataTooLarge(this.maxMetadataBytes, this.section);
    }
    this.used += bytes;
  }
}

/** A problem with one input/output's type; reported with the input/output's name. */
class SignatureProblem extends Error {}

async function parseModel(r: StreamWireReader, ctx: ParseContext): Promise<ModelState> {
  const model: ModelState = {
    irVersion: undefined,
    opsets: [],
    producerName: null,
    producerVersion: null,
    graph: undefined,
  };
  while (!(await r.atEnd())) {
    ctx.section = 'the model header';
    const tag = await r.readTag();
    switch (tag.fieldNumber) {
      case MODEL.irVersion:
        ctx.section = 'ModelProto.ir_version';
        expectWireType(tag, WireType.VARINT, ctx);
        model.irVersion = await r.readInt64Number('ir_version');
        break;
      case MODEL.producerName:
        ctx.section = 'ModelProto.producer_name';
        model.producerName = nonEmpty(await readStreamString(r, tag, Infinity, ctx));
        break;
      case MODEL.producerVersion:
        ctx.section = 'ModelProto.producer_version';
        model.producerVersion = nonEmpty(await readStreamString(r, tag, Infinity, ctx));
        break;
      case MODEL.graph: {
        ctx.section = 'the graph (ModelProto.graph)';
        expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
        const length = await r.readLength();
        // A repeated singular message field is merged, as protobuf parsers do.
        model.graph ??= { name: null, inputs: [], outputs: [], initializerNames: new Set() };
        await parseGraph(r, r.position + length, model.graph, ctx);
        break;
      }
      case MODEL.opsetImport: {
        ctx.section = `opset_import #${model.opsets.length + 1}`;
        const sub = await readSmallMessage(r, tag, Infinity, ctx);
        model.opsets.push(parseOpsetImport(sub, ctx));
        break;
      }
      default:
        ctx.section = `ModelProto field ${tag.fieldNumber}`;
        await skipWithin(r, tag, Infinity, ctx);
    }
  }
  return model;
}

async function parseGraph(r: StreamWireReader, end: number, graph: GraphState, ctx: ParseContext): Promise<void> {
  let nodes = 0;
  let initializers = 0;
  while (r.position < end) {
    ctx.section = 'the graph (ModelProto.graph)';
    const tag = await r.readTag();
    switch (tag.fieldNumber) {
      case GRAPH.name:
        ctx.section = 'GraphProto.name';
        graph.name = nonEmpty(await readStreamString(r, tag, end, ctx));
        break;
      case GRAPH.initializer: {
        ctx.section = `graph initializer #${++initializers}`;
        const tensorEnd = await readLengthWithin(r, tag, end, ctx);
        const name = await readTensorName(r, tensorEnd, ctx);
        if (name) graph.initializerNames.add(name);
        break;
      }
      case GRAPH.sparseInitializer: {
        ctx.section = `graph sparse initializer #${++initializers}`;
        const sparseEnd = await readLengthWithin(r, tag, end, ctx);
        while (r.position < sparseEnd) {
          const field = await r.readTag();
          if (field.fieldNumber === SPARSE_TENSOR_PROTO.values) {
            const valuesEnd = await readLengthWithin(r, field, sparseEnd, ctx);
            const name = await readTensorName(r, valuesEnd, ctx);
            if (name) graph.initializerNames.add(name);
          } else {
            await skipWithin(r, field, sparseEnd, ctx);
          }
        }
        checkNotPast(r.position, sparseEnd, ctx);
        break;
      }
      case GRAPH.input:
      case GRAPH.output: {
        const role = tag.fieldNumber === GRAPH.input ? 'input' : 'output';
        const list = role === 'input' ? graph.inputs : graph.outputs;
        ctx.section = `graph ${role} #${list.length + 1}`;
        const sub = await readSmallMessage(r, tag, end, ctx);
        list.push(parseValueInfo(sub, role, list.length + 1, ctx));
        break;
      }
      case GRAPH.node:
        ctx.section = `graph node #${++nodes}`;
        await skipWithin(r, tag, end, ctx);
        break;
      default:
        ctx.section = `GraphProto field ${tag.fieldNumber}`;
        await skipWithin(r, tag, end, ctx);
    }
  }
  checkNotPast(r.position, end, ctx);
}

/** Streams through a TensorProto, keeping only its name (field 8) and skipping the data. */
async function readTensorName(r: StreamWireReader, end: number, ctx: ParseContext): Promise<string | null> {
  let name: string | null = null;
  while (r.position < end) {
    const tag = await r.readTag();
    if (tag.fieldNumber === TENSOR_PROTO.name) name = await readStreamString(r, tag, end, ctx);
    else await skipWithin(r, tag, end, ctx);
  }
  checkNotPast(r.position, end, ctx);
  return name;
}

function parseOpsetImport(r: BufferWireReader, ctx: ParseContext): { domain: string; version: number } {
  let domain = '';
  let version: number | undefined;
  while (!r.atEnd()) {
    const tag = r.readTag();
    if (tag.fieldNumber === OPSET.domain) {
      expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
      domain = r.readString();
    } else if (tag.fieldNumber === OPSET.version) {
      expectWireType(tag, WireType.VARINT, ctx);
      version = r.readInt64Number('opset version');
    } else {
      r.skipField(tag);
    }
  }
  if (version === undefined || version < 1) {
    throw OnnxParseError.malformed(
      `the opset import for domain ${JSON.stringify(domain)} has ${version === undefined ? 'no' : 'an invalid'} version`,
      ctx.section,
    );
  }
  return { domain, version };
}

function parseValueInfo(
  r: BufferWireReader,
  role: 'input' | 'output',
  index: number,
  ctx: ParseContext,
): TensorSpec {
  let name: string | undefined;
  let type: TypeInfo | undefined;
  let typeProblem: string | undefined;
  while (!r.atEnd()) {
    const tag = r.readTag();
    if (tag.fieldNumber === VALUE_INFO.name) {
      expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
      name = r.readString();
    } else if (tag.fieldNumber === VALUE_INFO.type) {
      expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
      const sub = r.subReader(r.readLength());
      try {
        type = parseTypeProto(sub, 0, ctx);
        typeProblem = undefined;
      } catch (error) {
        if (!(error instanceof SignatureProblem)) throw error;
        typeProblem = error.message;
      }
    } else {
      r.skipField(tag);
    }
  }
  if (!name) throw OnnxParseError.invalidSignature(`graph ${role} #${index} has no name`);
  const label = `graph ${role} ${JSON.stringify(name)}`;
  if (typeProblem) throw OnnxParseError.invalidSignature(`${label} ${typeProblem}`);
  if (!type) throw OnnxParseError.invalidSignature(`${label} has no type`);
  return { name, elementType: type.elementType, shape: type.shape, kind: type.kind };
}

interface TypeInfo {
  elementType: string;
  shape: (number | string | null)[] | null;
  kind: TensorKind;
}

/** Decodes a TypeProto; undefined when no type is set. Throws SignatureProblem for types it cannot describe. */
function parseTypeProto(r: BufferWireReader, depth: number, ctx: ParseContext): TypeInfo | undefined {
  if (depth > MAX_TYPE_NESTING) throw new SignatureProblem(`has types nested more than ${MAX_TYPE_NESTING} deep`);
  let result: TypeInfo | undefined;
  while (!r.atEnd()) {
    const tag = r.readTag();
    switch (tag.fieldNumber) {
      case TYPE_PROTO.tensor:
      case TYPE_PROTO.sparseTensor: {
        expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
        const tensor = parseTensorType(r.subReader(r.readLength()), ctx);
        result = { ...tensor, kind: tag.fieldNumber === TYPE_PROTO.tensor ? 'tensor' : 'sparse_tensor' };
        break;
      }
      case TYPE_PROTO.sequence:
      case TYPE_PROTO.optional: {
        expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
        const kind = tag.fieldNumber === TYPE_PROTO.sequence ? 'sequence' : 'optional';
        const element = parseWrappedType(r.subReader(r.readLength()), SEQUENCE_OR_OPTIONAL.elemType, depth, ctx);
        if (!element) throw new SignatureProblem(`has a ${kind} type without an element type`);
        result = { elementType: element.elementType, shape: element.shape, kind };
        break;
      }
      case TYPE_PROTO.map: {
        expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
        const value = parseWrappedType(r.subReader(r.readLength()), MAP_TYPE.valueType, depth, ctx);
        if (!value) throw new SignatureProblem('has a map type without a value type');
        result = { elementType: value.elementType, shape: null, kind: 'map' };
        break;
      }
      case TYPE_PROTO.opaque:
        throw new SignatureProblem('has an opaque type, which Modelport cannot describe');
      default:
        r.skipField(tag);
    }
  }
  return result;
}

/** Sequence/Optional (elem_type = 1) or Map (value_type = 2): the nested TypeProto at `field`. */
function parseWrappedType(
  r: BufferWireReader,
  field: number,
  depth: number,
  ctx: ParseContext,
): TypeInfo | undefined {
  let inner: TypeInfo | undefined;
  while (!r.atEnd()) {
    const tag = r.readTag();
    if (tag.fieldNumber === field) {
      expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
      inner = parseTypeProto(r.subReader(r.readLength()), depth + 1, ctx);
    } else if (field === MAP_TYPE.valueType && tag.fieldNumber === MAP_TYPE.keyType) {
      expectWireType(tag, WireType.VARINT, ctx);
      r.readVarint();
    } else {
      r.skipField(tag);
    }
  }
  return inner;
}

function parseTensorType(r: BufferWireReader, ctx: ParseContext): Omit<TypeInfo, 'kind'> {
  let elemType = 0;
  let shape: (number | string | null)[] | null = null;
  while (!r.atEnd()) {
    const tag = r.readTag();
    if (tag.fieldNumber === TENSOR_TYPE.elemType) {
      expectWireType(tag, WireType.VARINT, ctx);
      elemType = r.readInt64Number('elem_type');
    } else if (tag.fieldNumber === TENSOR_TYPE.shape) {
      expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
      shape = parseShape(r.subReader(r.readLength()), ctx);
    } else {
      r.skipField(tag);
    }
  }
  return { elementType: onnxDataTypeName(elemType), shape };
}

function parseShape(r: BufferWireReader, ctx: ParseContext): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  while (!r.atEnd()) {
    const tag = r.readTag();
    if (tag.fieldNumber !== SHAPE.dim) {
      r.skipField(tag);
      continue;
    }
    expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
    const dim = r.subReader(r.readLength());
    let value: number | string | null = null;
    while (!dim.atEnd()) {
      const field = dim.readTag();
      if (field.fieldNumber === DIMENSION.dimValue) {
        expectWireType(field, WireType.VARINT, ctx);
        value = dim.readInt64Number('dim_value');
      } else if (field.fieldNumber === DIMENSION.dimParam) {
        expectWireType(field, WireType.LENGTH_DELIMITED, ctx);
        value = nonEmpty(dim.readString());
      } else {
        dim.skipField(field);
      }
    }
    dims.push(value);
  }
  return dims;
}

function toModelInfo(model: ModelState): OnnxModelInfo {
  if (model.irVersion === undefined) throw OnnxParseError.missingIrVersion();
  if (model.irVersion < MIN_ONNX_IR_VERSION || model.irVersion > MAX_ONNX_IR_VERSION) {
    throw OnnxParseError.invalidIrVersion(model.irVersion, MIN_ONNX_IR_VERSION, MAX_ONNX_IR_VERSION);
  }
  const graph = model.graph;
  if (!graph) throw OnnxParseError.missingGraph();
  if (graph.outputs.length === 0) throw OnnxParseError.missingOutputs();
  if (model.opsets.length === 0) throw OnnxParseError.missingOpsetImport();
  return {
    irVersion: model.irVersion,
    opsets: model.opsets,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graphName: graph.name,
    signature: {
      // Before IR version 4 every initializer had to be listed as an input too; later models may
      // still list some (overridable defaults). Neither is something a caller has to send.
      inputs: graph.inputs.filter((input) => !graph.initializerNames.has(input.name)),
      outputs: graph.outputs,
    },
  };
}

// ---- helpers ----

function expectWireType(tag: FieldTag, expected: WireType, ctx: ParseContext): void {
  if (tag.wireType !== expected) {
    throw OnnxParseError.malformed(
      `field ${tag.fieldNumber} has wire type ${tag.wireType} (${WireType[tag.wireType]}) where ONNX uses ` +
        `${expected} (${WireType[expected]})`,
      ctx.section,
    );
  }
}

/** Reads a length prefix and returns where the field ends, refusing a field longer than its container. */
async function readLengthWithin(r: StreamWireReader, tag: FieldTag, end: number, ctx: ParseContext): Promise<number> {
  expectWireType(tag, WireType.LENGTH_DELIMITED, ctx);
  const length = await r.readLength();
  const fieldEnd = r.position + length;
  checkNotPast(fieldEnd, end, ctx);
  return fieldEnd;
}

async function readStreamString(r: StreamWireReader, tag: FieldTag, end: number, ctx: ParseContext): Promise<string> {
  const fieldEnd = await readLengthWithin(r, tag, end, ctx);
  const length = fieldEnd - r.position;
  ctx.reserve(length);
  const position = r.position;
  return decodeUtf8(await r.readBytes(length), position);
}

/** Copies a small length-delimited message (counted against the metadata limit) for in-memory decoding. */
async function readSmallMessage(
  r: StreamWireReader,
  tag: FieldTag,
  end: number,
  ctx: ParseContext,
): Promise<BufferWireReader> {
  const fieldEnd = await readLengthWithin(r, tag, end, ctx);
  const length = fieldEnd - r.position;
  ctx.reserve(length);
  const position = r.position;
  return new BufferWireReader(await r.readBytes(length), position);
}

async function skipWithin(r: StreamWireReader, tag: FieldTag, end: number, ctx: ParseContext): Promise<void> {
  if (tag.wireType === WireType.LENGTH_DELIMITED) {
    const fieldEnd = await readLengthWithin(r, tag, end, ctx);
    await r.skipBytes(fieldEnd - r.position);
  } else {
    await r.skipField(tag);
    checkNotPast(r.position, end, ctx);
  }
}

function checkNotPast(position: number, end: number, ctx: ParseContext): void {
  if (position > end) {
    throw OnnxParseError.malformed('a field is longer than the message that contains it', ctx.section);
  }
}

function nonEmpty(value: string | null): string | null {
  return value ? value : null;
}

/** Turns a low-level failure into an OnnxParseError, naming the real format when it is recognisable. */
function explain(error: unknown, reader: StreamWireReader, ctx: ParseContext): unknown {
  let explained = error;
  if (error instanceof WireFormatError) {
    explained =
      error.code === WireFormatErrorCode.TRUNCATED
        ? OnnxParseError.truncated(error.position, ctx.section, error)
        : OnnxParseError.malformed(error.message, ctx.section, error);
  }
  if (explained instanceof OnnxParseError) {
    const format = recogniseOtherFormat(reader.headerBytes());
    if (format) return OnnxParseError.otherFormat(format, explained);
  }
  return explained;
}

const SIGNATURES: { format: string; matches: (b: Uint8Array) => boolean }[] = [
  {
    format: 'a ZIP archive (for example a PyTorch .pt/.pth, a Keras .keras or a zipped folder)',
    matches: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06]),
  },
  {
    format: 'a Python pickle (for example a scikit-learn .pkl or joblib file)',
    matches: (b) => b.length >= 2 && b[0] === 0x80 && b[1] >= 2 && b[1] <= 5,
  },
  { format: 'a gzip-compressed file (decompress it first)', matches: (b) => startsWith(b, [0x1f, 0x8b]) },
  {
    format: 'an HDF5 file (for example a Keras .h5 model)',
    matches: (b) => startsWith(b, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
  { format: 'a GGUF model (llama.cpp)', matches: (b) => startsWith(b, [0x47, 0x47, 0x55, 0x46]) },
  { format: 'a NumPy .npy array', matches: (b) => startsWith(b, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]) },
  {
    format: 'a TensorFlow Lite model',
    matches: (b) => b.length >= 8 && b[4] === 0x54 && b[5] === 0x46 && b[6] === 0x4c && b[7] === 0x33,
  },
  {
    format: 'a safetensors file',
    matches: (b) => b.length >= 10 && b[8] === 0x7b && b[9] === 0x22 && b[6] === 0 && b[7] === 0,
  },
  { format: 'a JSON document', matches: (b) => isText(b) && /^\s*[{[]/.test(asciiOf(b)) },
  { format: 'a text file (for example CSV, YAML or source code)', matches: (b) => isText(b) },
];

function recogniseOtherFormat(header: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.matches(header))?.format;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function isText(bytes: Uint8Array): boolean {
  const start = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  if (bytes.length <= start) return false;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i];
    if (!(b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))) return false;
  }
  return true;
}

function asciiOf(bytes: Uint8Array): string {
  const start = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  return String.fromCharCode(...bytes.subarray(start));
}
