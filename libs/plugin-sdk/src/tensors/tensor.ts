import { STORAGE_TAG, isDatatype, typedArrayTag, type Datatype, type Tensor, type TensorStorage } from './datatype';
import { checkShape, formatShape, responseRules, type ShapeRules } from './shape';
import { TensorError, describeValue, tensorLabel } from './tensor.errors';

const ANY_SIZE: ShapeRules = responseRules({ maxElements: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER });

/**
 * Checks that a tensor built in code is consistent: a non-empty name, a known
 * datatype, a valid shape (zero-size dimensions allowed), storage of the class
 * the datatype calls for and exactly as many elements as the shape. Returns
 * the element count. Encoders call it on every tensor; it is O(rank), plus one
 * pass over the elements for BYTES.
 */
export function assertTensor(t: Tensor): number {
  if (t === null || typeof t !== 'object') {
    throw new TensorError('', 'BAD_TENSOR', `A tensor is ${describeValue(t)}; expected an object with name, datatype, shape and data.`);
  }
  const name: unknown = t.name;
  if (typeof name !== 'string' || name === '') {
    throw new TensorError(typeof name === 'string' ? name : '', 'BAD_TENSOR', `A tensor has name ${describeValue(name)}; every tensor needs a non-empty name.`);
  }
  const datatype: unknown = t.datatype;
  if (typeof datatype !== 'string' || !isDatatype(datatype)) throw unknownDatatype(name, datatype);
  const count = checkShape(name, t.shape, ANY_SIZE);
  const data: unknown = t.data;
  if (datatype === 'BYTES') {
    if (!Array.isArray(data)) {
      throw new TensorError(name, 'BAD_TENSOR', `${tensorLabel(name)} is BYTES, so its data must be an array of Buffers; got ${describeStorage(data)}.`);
    }
    for (let i = 0; i < data.length; i++) {
      if (typedArrayTag(data[i]) !== 'Uint8Array') {
        throw new TensorError(name, 'BAD_TENSOR', `${tensorLabel(name)} is BYTES, so element ${i} must be a Buffer; got ${describeStorage(data[i])}.`);
      }
    }
  } else if (typedArrayTag(data) !== STORAGE_TAG[datatype]) {
    throw new TensorError(
      name,
      'BAD_TENSOR',
      `${tensorLabel(name)} is ${datatype}, so its data must be a ${STORAGE_TAG[datatype]}; got ${describeStorage(data)}.`,
    );
  }
  const length = (data as ArrayLike<unknown>).length;
  if (length !== count) {
    throw new TensorError(name, 'SIZE_MISMATCH', `${tensorLabel(name)} has shape ${formatShape(t.shape)}, so it needs ${count} elements; its data holds ${length}.`);
  }
  return count;
}

/** Builds a tensor and checks it with assertTensor. */
export function makeTensor<D extends Datatype>(name: string, datatype: D, shape: readonly number[], data: TensorStorage[D]): Tensor<D> {
  const t: Tensor<D> = { name, datatype, shape: [...shape], data };
  assertTensor(t);
  return t;
}

/** Narrows a tensor to one datatype. */
export function isTensorOf<D extends Datatype>(t: Tensor, datatype: D): t is Tensor<D> {
  return t.datatype === datatype;
}

export function unknownDatatype(name: string, datatype: unknown): TensorError {
  return new TensorError(
    name,
    'UNKNOWN_DATATYPE',
    `${tensorLabel(name)} has datatype ${describeValue(datatype)}; expected one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64, BYTES.`,
  );
}

function describeStorage(x: unknown): string {
  return typedArrayTag(x) ?? describeValue(x);
}
