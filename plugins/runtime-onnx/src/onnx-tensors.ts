// Between Modelport tensors (V2 datatypes, typed arrays) and onnxruntime-node tensors, and from an
// InferenceSession's metadata to the signature the plugin serves.
import { PluginError, type Datatype, type SignatureSpec, type Tensor, type TensorSpec } from '@modelport/plugin-sdk';
import * as ort from 'onnxruntime-node';

type OrtType = ort.Tensor.Type;

/** ONNX Runtime element type → V2 datatype, for every type the plugin serves. */
export const ORT_TO_DATATYPE: Readonly<Partial<Record<OrtType, Datatype>>> = {
  float32: 'FP32',
  float16: 'FP16',
  float64: 'FP64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

/** V2 datatype → ONNX Runtime element type (BF16 has none in onnxruntime-node). */
export const DATATYPE_TO_ORT: Readonly<Partial<Record<Datatype, OrtType>>> = Object.fromEntries(
  Object.entries(ORT_TO_DATATYPE).map(([ortType, datatype]) => [datatype, ortType]),
);

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function tagOf(x: unknown): string | undefined {
  return ArrayBuffer.isView(x) ? (x as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag] : undefined;
}

/**
 * A Modelport tensor as an onnxruntime-node tensor, sharing the typed array (no copy) except for
 * BYTES, which become JS strings: ONNX string tensors hold text, so each element must be UTF-8.
 */
export function toOrtTensor(tensor: Tensor): ort.Tensor {
  const ortType = DATATYPE_TO_ORT[tensor.datatype];
  if (ortType === undefined) {
    throw new PluginError(
      'INVALID_ARGUMENT',
      `input "${tensor.name}" is ${tensor.datatype}, which ONNX Runtime for Node cannot take; use one of ${Object.keys(DATATYPE_TO_ORT).join(', ')}`,
    );
  }
  const dims = [...tensor.shape];
  if (ortType === 'string') {
    const strings = (tensor.data as Buffer[]).map((bytes, i) => {
      try {
        return UTF8.decode(bytes);
      } catch {
        throw new PluginError(
          'INVALID_ARGUMENT',
          `input "${tensor.name}" element ${i} is not valid UTF-8; ONNX string tensors carry text, so BYTES inputs must be UTF-8`,
        );
      }
    });
    return new ort.Tensor('string', strings, dims);
  }
  // The constructor's overloads are per element type; the data class matches ortType by construction.
  return new ort.Tensor(ortType as 'float32', tensor.data as Float32Array, dims);
}

/** An onnxruntime-node output as a Modelport tensor (typed arrays shared, strings as UTF-8 Buffers). */
export function fromOrtTensor(name: string, value: ort.OnnxValue): Tensor {
  const datatype = ORT_TO_DATATYPE[value.type];
  if (datatype === undefined) {
    throw new PluginError('INTERNAL', `output "${name}" has ONNX element type ${value.type}, which has no V2 datatype`);
  }
  const shape = [...value.dims];
  const data: unknown = value.data;
  if (datatype === 'BYTES') {
    return { name, datatype, shape, data: (data as string[]).map((s) => Buffer.from(s, 'utf8')) };
  }
  if (datatype === 'FP16' && tagOf(data) !== 'Uint16Array') {
    // Where Float16Array exists, onnxruntime returns one; the SDK carries FP16 as raw bits.
    const view = data as ArrayBufferView & { length: number };
    return { name, datatype, shape, data: new Uint16Array(view.buffer, view.byteOffset, view.length) };
  }
  return { name, datatype, shape, data } as Tensor;
}

/** Why a model cannot be served; the loader names every one. */
export interface UnservableValue {
  readonly role: 'input' | 'output';
  readonly name: string;
  readonly problem: string;
  /** True for sequence/map/optional values, as ZipMap writes. */
  readonly notATensor: boolean;
}

/**
 * The signature to serve, from the session's metadata: ONNX element types as V2 datatypes, symbolic
 * or unknown dimensions as -1. Where ONNX Runtime reports no shape at all (unknown rank reads as
 * []), the shape the registry recorded for that tensor is kept if it has one. Returns the values
 * that cannot be served instead when there are any.
 */
export function signatureFromSession(
  session: Pick<ort.InferenceSession, 'inputMetadata' | 'outputMetadata'>,
  recorded: SignatureSpec,
): { signature: SignatureSpec; unservable: [] } | { signature?: undefined; unservable: UnservableValue[] } {
  const unservable: UnservableValue[] = [];
  const convert = (role: 'input' | 'output', metadata: readonly ort.InferenceSession.ValueMetadata[], known: readonly TensorSpec[]) =>
    metadata.flatMap((meta): TensorSpec[] => {
      if (!meta.isTensor) {
        unservable.push({ role, name: meta.name, notATensor: true, problem: 'is a sequence, map or optional value, not a tensor' });
        return [];
      }
      const datatype = ORT_TO_DATATYPE[meta.type];
      if (datatype === undefined) {
        unservable.push({ role, name: meta.name, notATensor: false, problem: `has element type ${meta.type}, which has no V2 datatype` });
        return [];
      }
      let shape = meta.shape.map((d) => (typeof d === 'number' && Number.isInteger(d) && d >= 0 ? d : -1));
      if (shape.length === 0) {
        const previous = known.find((t) => t.name === meta.name && t.datatype === datatype);
        if (previous && previous.shape.length > 0) shape = [...previous.shape];
      }
      return [{ name: meta.name, datatype, shape }];
    });
  const inputs = convert('input', session.inputMetadata, recorded.inputs);
  const outputs = convert('output', session.outputMetadata, recorded.outputs);
  return unservable.length > 0 ? { unservable } : { signature: { inputs, outputs }, unservable: [] };
}

/** The load error for a model with values the plugin cannot serve. */
export function describeUnservable(key: string, unservable: readonly UnservableValue[]): string {
  const listed = unservable.map((v) => `${v.role} "${v.name}" ${v.problem}`).join('; ');
  const zipMap = unservable.some((v) => v.role === 'output' && v.notATensor)
    ? '. The ONNX Runtime Node binding returns only tensors: export the model without ZipMap ' +
      '(skl2onnx: options={id(model): {"zipmap": False}}) so that the probabilities are a tensor'
    : '';
  return `model "${key}" cannot be served by runtime-onnx: ${listed}${zipMap}`;
}
