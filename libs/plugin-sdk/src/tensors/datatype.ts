/** The Open Inference Protocol (KServe V2) tensor datatypes. */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'BF16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

export type Datatype = (typeof DATATYPES)[number];

/**
 * How a tensor holds its elements, per datatype, flattened in row-major order.
 * BOOL holds 0 or 1 per byte; FP16 and BF16 hold the raw 16-bit patterns
 * (see float16BitsToFloat32 / bfloat16BitsToFloat32); BYTES holds one Buffer per element.
 */
export interface TensorStorage {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  BF16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: Buffer[];
}

export type TensorData = TensorStorage[Datatype];

/**
 * A named tensor. `Tensor<'FP32'>` narrows `data` to Float32Array; plain
 * `Tensor` is any datatype. Treat tensors as immutable: encoders may return
 * views of `data` rather than copies.
 */
export interface Tensor<D extends Datatype = Datatype> {
  readonly name: string;
  readonly datatype: D;
  readonly shape: readonly number[];
  readonly data: TensorStorage[D];
}

const DATATYPE_SET: ReadonlySet<string> = new Set(DATATYPES);

export function isDatatype(s: string): s is Datatype {
  return DATATYPE_SET.has(s);
}

const BYTES_PER_ELEMENT: Readonly<Record<Datatype, number | null>> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  BF16: 2,
  FP32: 4,
  FP64: 8,
  BYTES: null,
};

/** The size of one element in raw form; null for BYTES, whose elements vary. */
export function bytesPerElement(d: Datatype): number | null {
  return BYTES_PER_ELEMENT[d];
}

/** The typed-array class name (its Symbol.toStringTag) holding each fixed-size datatype. */
export const STORAGE_TAG: Readonly<Record<Exclude<Datatype, 'BYTES'>, string>> = {
  BOOL: 'Uint8Array',
  UINT8: 'Uint8Array',
  UINT16: 'Uint16Array',
  UINT32: 'Uint32Array',
  UINT64: 'BigUint64Array',
  INT8: 'Int8Array',
  INT16: 'Int16Array',
  INT32: 'Int32Array',
  INT64: 'BigInt64Array',
  FP16: 'Uint16Array',
  BF16: 'Uint16Array',
  FP32: 'Float32Array',
  FP64: 'Float64Array',
};

type FixedStorage = Exclude<TensorData, Buffer[]>;
type FixedCtor = new (length: number) => FixedStorage;

const CONSTRUCTORS: Readonly<Record<Exclude<Datatype, 'BYTES'>, FixedCtor>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** A zero-filled typed array of `count` elements for a fixed-size datatype. */
export function allocateStorage<D extends Exclude<Datatype, 'BYTES'>>(datatype: D, count: number): TensorStorage[D] {
  return new CONSTRUCTORS[datatype](count) as TensorStorage[D];
}

/**
 * The Symbol.toStringTag of a typed array, or undefined. Used instead of
 * instanceof, which fails across realms (Jest sandboxes, worker threads).
 */
export function typedArrayTag(x: unknown): string | undefined {
  return ArrayBuffer.isView(x) ? (x as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag] : undefined;
}
