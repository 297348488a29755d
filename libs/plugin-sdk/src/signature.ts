import type { Signature, Signature__Output, TensorSpec__Output } from '@modelport/proto';
import { CallError } from './call-error';
import type { SignatureSpec, TensorSpec } from './runtime';
import { DATATYPES, type Datatype } from './tensors';

/** Reads the signature of a LoadModelRequest; a missing one is empty. Unknown datatypes are INVALID_ARGUMENT. */
export function signatureFromProto(signature: Signature__Output | null | undefined): SignatureSpec {
  return {
    inputs: (signature?.inputs ?? []).map((t) => tensorSpecFromProto(t, 'input')),
    outputs: (signature?.outputs ?? []).map((t) => tensorSpecFromProto(t, 'output')),
  };
}

export function signatureToProto(signature: SignatureSpec): Signature {
  const spec = (t: TensorSpec) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] });
  return { inputs: signature.inputs.map(spec), outputs: signature.outputs.map(spec) };
}

function tensorSpecFromProto(t: TensorSpec__Output, role: 'input' | 'output'): TensorSpec {
  if (!t.name) throw new CallError('INVALID_ARGUMENT', `signature ${role} without a name`);
  if (!(DATATYPES as readonly string[]).includes(t.datatype)) {
    throw new CallError('INVALID_ARGUMENT', `signature ${role} "${t.name}" has datatype "${t.datatype}"; expected one of ${DATATYPES.join(', ')}`);
  }
  const shape = t.shape.map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new CallError('INVALID_ARGUMENT', `signature ${role} "${t.name}" has shape [${shape.join(', ')}]; dimensions are sizes or -1`);
  }
  return { name: t.name, datatype: t.datatype as Datatype, shape };
}
