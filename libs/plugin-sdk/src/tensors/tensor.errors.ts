/**
 * What was wrong with a tensor. The gateway maps TOO_LARGE to 413 /
 * RESOURCE_EXHAUSTED and every other problem to 400 / INVALID_ARGUMENT.
 */
export const TENSOR_PROBLEMS = [
  // One tensor on its own
  'BAD_TENSOR',
  'UNKNOWN_DATATYPE',
  'BAD_SHAPE',
  'TOO_LARGE',
  'SIZE_MISMATCH',
  'BAD_VALUE',
  'NO_TYPED_FORM',
  'WRONG_CONTENTS_FIELD',
  'MISSING_DATA',
  // How a request or response carries its tensors
  'MIXED_CONTENTS',
  'RAW_COUNT_MISMATCH',
  // A request against the model's signature
  'UNKNOWN_INPUT',
  'MISSING_INPUT',
  'DUPLICATE_INPUT',
  'DATATYPE_MISMATCH',
  'SHAPE_MISMATCH',
  'UNKNOWN_OUTPUT',
  'DUPLICATE_OUTPUT',
  'TOO_MANY_OUTPUTS',
] as const;

export type TensorProblem = (typeof TENSOR_PROBLEMS)[number];

/**
 * A tensor that cannot be decoded, encoded or served. `tensor` is the tensor's
 * name ('' when the problem concerns the request as a whole); the message
 * names it and says what was wrong and what was expected.
 */
export class TensorError extends Error {
  constructor(
    readonly tensor: string,
    readonly problem: TensorProblem,
    message: string,
  ) {
    super(message);
    this.name = 'TensorError';
  }
}

const MAX_QUOTED = 120;

/** A name or string from untrusted input, quoted and cut to a readable length. */
export function quote(s: string): string {
  return s.length > MAX_QUOTED ? `'${s.slice(0, MAX_QUOTED)}…' (${s.length} characters)` : `'${s}'`;
}

/** A short description of an untrusted JSON value for an error message. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `the string ${quote(v)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}

/** `Tensor 'x'`, the way every message starts. */
export function tensorLabel(name: string): string {
  return `Tensor ${quote(name)}`;
}
