import type { Tensor } from './datatype';
import { expectTensorError } from './sample-tensors.fixture';
import { checkInputsAgainstSignature, checkRequestedOutputs, type SignatureLike } from './signature-checks';

const signature: SignatureLike = {
  inputs: [
    { name: 'pixels', datatype: 'FP32', shape: [-1, 3, 224, 224] },
    { name: 'mask', datatype: 'BOOL', shape: [-1] },
  ],
  outputs: [
    { name: 'logits', datatype: 'FP32', shape: [-1, 1000] },
    { name: 'label', datatype: 'INT64', shape: [-1] },
  ],
};

/** A tensor whose data is not looked at by the signature checks. */
const input = (name: string, datatype: Tensor['datatype'], shape: number[]): Tensor => ({ name, datatype, shape, data: new Float32Array(0) }) as Tensor;
const pixels = input('pixels', 'FP32', [2, 3, 224, 224]);
const mask = input('mask', 'BOOL', [5]);

describe('checkInputsAgainstSignature', () => {
  it('accepts inputs in any order, any size where the signature says -1', () => {
    expect(() => checkInputsAgainstSignature([mask, pixels], signature)).not.toThrow();
    expect(() => checkInputsAgainstSignature([input('pixels', 'FP32', [64, 3, 224, 224]), mask], signature)).not.toThrow();
  });

  it('rejects an unknown input, listing the expected names', () => {
    expectTensorError(() => checkInputsAgainstSignature([pixels, mask, input('pixel', 'FP32', [1])], signature), 'UNKNOWN_INPUT', "'pixel'", "'pixels', 'mask'");
  });

  it('rejects a missing input, naming it', () => {
    expectTensorError(() => checkInputsAgainstSignature([pixels], signature), 'MISSING_INPUT', "lacks input 'mask'", "needs 'pixels', 'mask'");
  });

  it('rejects a wrong datatype, saying expected and got', () => {
    expectTensorError(() => checkInputsAgainstSignature([input('pixels', 'FP64', [1, 3, 224, 224]), mask], signature), 'DATATYPE_MISMATCH', "'pixels'", 'datatype FP64', 'expects FP32');
  });

  it('rejects a wrong rank', () => {
    expectTensorError(
      () => checkInputsAgainstSignature([input('pixels', 'FP32', [3, 224, 224]), mask], signature),
      'SHAPE_MISMATCH',
      "'pixels'",
      'rank 3',
      'expects rank 4',
      '[-1,3,224,224]',
    );
  });

  it('rejects a fixed dimension mismatch, saying which dimension, expected and got', () => {
    expectTensorError(
      () => checkInputsAgainstSignature([input('pixels', 'FP32', [1, 3, 224, 225]), mask], signature),
      'SHAPE_MISMATCH',
      "'pixels'",
      'dimension 3 is 225',
      'expects 224',
    );
  });

  it('rejects an input given twice', () => {
    expectTensorError(() => checkInputsAgainstSignature([pixels, mask, pixels], signature), 'DUPLICATE_INPUT', "'pixels'", 'more than once');
  });
});

describe('checkRequestedOutputs', () => {
  it('accepts none, some or all outputs', () => {
    expect(() => checkRequestedOutputs([], signature)).not.toThrow();
    expect(() => checkRequestedOutputs(['label'], signature)).not.toThrow();
    expect(() => checkRequestedOutputs(['label', 'logits'], signature)).not.toThrow();
  });

  it('rejects an unknown output, listing the outputs', () => {
    expectTensorError(() => checkRequestedOutputs(['probs'], signature), 'UNKNOWN_OUTPUT', "'probs'", "'logits', 'label'");
  });

  it('rejects an output requested twice', () => {
    expectTensorError(() => checkRequestedOutputs(['label', 'label'], signature), 'DUPLICATE_OUTPUT', "'label'", 'more than once');
  });

  it('rejects 10,000 requested outputs up front with a clear message', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `out${i}`);
    expectTensorError(() => checkRequestedOutputs(names, signature), 'TOO_MANY_OUTPUTS', 'asks for 10000 outputs', 'at most 2', "'logits', 'label'");
    expectTensorError(() => checkRequestedOutputs(['label', 'logits'], signature, 1), 'TOO_MANY_OUTPUTS', 'at most 1');
  });

  it('checks 50,000 requested names against a signature of 50,000 outputs', () => {
    const outputs = Array.from({ length: 50_000 }, (_, i) => ({ name: `o${i}`, datatype: 'FP32', shape: [1] }));
    const big: SignatureLike = { inputs: [], outputs };
    expect(() => checkRequestedOutputs(outputs.map((o) => o.name).reverse(), big)).not.toThrow();
    expectTensorError(() => checkRequestedOutputs([...outputs.slice(1).map((o) => o.name), 'o1'], big), 'DUPLICATE_OUTPUT', "'o1'");
  });
});
