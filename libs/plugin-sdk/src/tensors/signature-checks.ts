import type { Tensor } from './datatype';
import { formatShape } from './shape';
import { TensorError, quote } from './tensor.errors';

/** One tensor of a signature; -1 marks a dimension of any size. (Structural twin of runtime.ts's TensorSpec.) */
export interface SignatureTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** A model's signature, structurally (runtime.ts's SignatureSpec fits). */
export interface SignatureLike {
  readonly inputs: readonly SignatureTensor[];
  readonly outputs: readonly SignatureTensor[];
}

const LISTED_NAMES = 20;

function listNames(specs: readonly SignatureTensor[]): string {
  if (specs.length === 0) return '(none)';
  const shown = specs.slice(0, LISTED_NAMES).map((s) => quote(s.name));
  return specs.length > LISTED_NAMES ? `${shown.join(', ')} and ${specs.length - LISTED_NAMES} more` : shown.join(', ');
}

function byName(specs: readonly SignatureTensor[]): Map<string, SignatureTensor> {
  const map = new Map<string, SignatureTensor>();
  for (const s of specs) map.set(s.name, s);
  return map;
}

/**
 * Checks decoded request inputs against the model's signature: no duplicate
 * or unknown names, every signature input present, datatypes equal, ranks
 * equal and every fixed dimension (not -1) equal. O(inputs + signature).
 */
export function checkInputsAgainstSignature(inputs: readonly Tensor[], signature: SignatureLike): void {
  const specs = byName(signature.inputs);
  const seen = new Set<string>();
  for (const input of inputs) {
    const name = input.name;
    const label = `Input ${quote(name)}`;
    if (seen.has(name)) {
      throw new TensorError(name, 'DUPLICATE_INPUT', `${label} is given more than once; each input may appear only once.`);
    }
    seen.add(name);
    const spec = specs.get(name);
    if (!spec) {
      throw new TensorError(name, 'UNKNOWN_INPUT', `${label} is not an input of this model; its inputs are ${listNames(signature.inputs)}.`);
    }
    if (input.datatype !== spec.datatype) {
      throw new TensorError(name, 'DATATYPE_MISMATCH', `${label} has datatype ${input.datatype}; the model expects ${spec.datatype}.`);
    }
    if (input.shape.length !== spec.shape.length) {
      throw new TensorError(
        name,
        'SHAPE_MISMATCH',
        `${label} has shape ${formatShape(input.shape)} (rank ${input.shape.length}); the model expects rank ${spec.shape.length}, shape ${formatShape(spec.shape)} (-1 = any size).`,
      );
    }
    for (let d = 0; d < spec.shape.length; d++) {
      const want = spec.shape[d]!;
      if (want !== -1 && input.shape[d] !== want) {
        throw new TensorError(
          name,
          'SHAPE_MISMATCH',
          `${label} has shape ${formatShape(input.shape)}: dimension ${d} is ${input.shape[d]}, but the model expects ${want} (shape ${formatShape(spec.shape)}, -1 = any size).`,
        );
      }
    }
  }
  if (seen.size < specs.size) {
    const missing = signature.inputs.filter((s) => !seen.has(s.name));
    throw new TensorError(
      missing[0]!.name,
      'MISSING_INPUT',
      `The request lacks input${missing.length > 1 ? 's' : ''} ${listNames(missing)}; the model needs ${listNames(signature.inputs)}.`,
    );
  }
}

/**
 * Checks the output names a request asks for: known to the signature, each at
 * most once, and no more of them than the signature has (or than maxOutputs).
 * Fails fast on an oversized list before looking at any name.
 */
export function checkRequestedOutputs(names: readonly string[], signature: SignatureLike, maxOutputs: number = signature.outputs.length): void {
  const limit = Math.min(maxOutputs, signature.outputs.length);
  if (names.length > limit) {
    throw new TensorError(
      '',
      'TOO_MANY_OUTPUTS',
      `The request asks for ${names.length} outputs; at most ${limit} may be requested (the model's outputs are ${listNames(signature.outputs)}).`,
    );
  }
  const specs = byName(signature.outputs);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new TensorError(name, 'DUPLICATE_OUTPUT', `Output ${quote(name)} is requested more than once; ask for each output once.`);
    }
    seen.add(name);
    if (!specs.has(name)) {
      throw new TensorError(name, 'UNKNOWN_OUTPUT', `Output ${quote(name)} is not an output of this model; its outputs are ${listNames(signature.outputs)}.`);
    }
  }
}
