import type { SignatureSpec, TensorSpec } from '@modelport/plugin-sdk';
import type { Signature } from '@modelport/registry';
import { DeploymentError, DeploymentErrorCode } from './deployment.errors';

/** AWAITING_APPROVAL: a production deployment whose creation waits for its change request (nothing is loaded). */
export const DEPLOYMENT_STATES = ['AWAITING_APPROVAL', 'PENDING', 'LOADING', 'READY', 'FAILED'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export const PAYLOAD_LOGGING = ['full', 'sampled', 'none'] as const;
export type PayloadLogging = (typeof PAYLOAD_LOGGING)[number];

/** A deployment name is the V2 model name, so it must be safe in a URL path: a DNS label. */
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function validateDeploymentName(name: string): string {
  if (!NAME.test(name)) {
    throw new DeploymentError(
      DeploymentErrorCode.INVALID_ARGUMENT,
      `"${name.slice(0, 80)}" is not a valid deployment name: use 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit (it becomes the V2 model name in /v2/models/{name}).`,
      { field: 'name' },
    );
  }
  return name;
}

/** ONNX element type names (as the registry records them) → Open Inference Protocol datatypes. */
const V2_DATATYPE: Record<string, TensorSpec['datatype']> = {
  FLOAT: 'FP32',
  DOUBLE: 'FP64',
  FLOAT16: 'FP16',
  BFLOAT16: 'BF16',
  INT8: 'INT8',
  INT16: 'INT16',
  INT32: 'INT32',
  INT64: 'INT64',
  UINT8: 'UINT8',
  UINT16: 'UINT16',
  UINT32: 'UINT32',
  UINT64: 'UINT64',
  BOOL: 'BOOL',
  STRING: 'BYTES',
};

/**
 * The registry's signature (ONNX element types, symbolic dimensions) as the V2
 * tensor specs the gateway validates requests against. Inputs must be plain
 * tensors of a V2 datatype; outputs that are not (ZipMap maps, sequences) are
 * refused because no V2 client could read them.
 */
export function servingSignature(signature: Signature | null, where: string): SignatureSpec {
  if (!signature) {
    throw new DeploymentError(
      DeploymentErrorCode.UNSERVABLE_VERSION,
      `${where} has no recorded signature, so requests cannot be validated. Register it as ONNX (the signature is read from the file).`,
    );
  }
  const convert = (t: Signature['inputs'][number], role: 'input' | 'output'): TensorSpec => {
    const datatype = V2_DATATYPE[t.elementType];
    if (t.kind !== 'tensor' || !datatype) {
      throw new DeploymentError(
        DeploymentErrorCode.UNSERVABLE_VERSION,
        `${where} has ${role} "${t.name}" of kind ${t.kind} with element type ${t.elementType}, which the Open Inference Protocol cannot carry. ` +
          (role === 'output' && t.kind !== 'tensor' ? 'Export the model without ZipMap (e.g. skl2onnx options {"zipmap": False}).' : 'Use a tensor input of a numeric, boolean or string type.'),
        { tensor: t.name },
      );
    }
    const shape = t.shape === null ? [-1] : t.shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
    return { name: t.name, datatype, shape };
  };
  return { inputs: signature.inputs.map((t) => convert(t, 'input')), outputs: signature.outputs.map((t) => convert(t, 'output')) };
}
