import { DEFAULT_TENSOR_LIMITS, checkShape, elementCount, responseRules } from './shape';
import { expectTensorError } from './sample-tensors.fixture';

describe('elementCount (request tensors)', () => {
  it('multiplies the dimensions; a scalar shape [] has one element', () => {
    expect(elementCount('x', [2, 3, 4])).toBe(24);
    expect(elementCount('x', [1])).toBe(1);
    expect(elementCount('x', [])).toBe(1);
  });

  it('has defaults of 16M elements and 64 MiB', () => {
    expect(DEFAULT_TENSOR_LIMITS).toEqual({ maxElements: 16 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
  });

  it('rejects a zero dimension: Modelport serves non-empty tensors', () => {
    expectTensorError(() => elementCount('pixels', [2, 0]), 'BAD_SHAPE', "'pixels'", '[2,0]', 'dimension 1 is 0', 'Modelport serves non-empty tensors');
  });

  it('rejects -1, which only a signature may use', () => {
    expectTensorError(() => elementCount('pixels', [-1, 3]), 'BAD_SHAPE', "'pixels'", 'dimension 0 is -1', '-1 is only allowed in a signature');
  });

  it.each([
    [[2147483648], 'dimension 0 is 2147483648'],
    [[1, 1.5], 'dimension 1 is 1.5'],
    [[-2], 'dimension 0 is -2'],
    [[NaN], 'dimension 0 is NaN'],
    [[Infinity], 'dimension 0 is Infinity'],
  ])('rejects shape %p: not an integer from 1 to 2^31-1', (shape, fragment) => {
    expectTensorError(() => elementCount('t', shape), 'BAD_SHAPE', "'t'", fragment, 'integer from 1 to 2147483647');
  });

  it('rejects dimensions that are not numbers, and shapes that are not arrays', () => {
    expectTensorError(() => checkShape('t', [2, '3'], responseRules()), 'BAD_SHAPE', "'t'", "dimension 1 is the string '3'");
    expectTensorError(() => checkShape('t', '2,3', responseRules()), 'BAD_SHAPE', "'t'", "shape the string '2,3'", 'expected an array');
    expectTensorError(() => checkShape('t', undefined, responseRules()), 'BAD_SHAPE', "'t'", 'shape missing');
  });

  it('rejects rank above 16 and says so, without reading a huge shape', () => {
    expectTensorError(() => elementCount('t', new Array<number>(17).fill(1)), 'BAD_SHAPE', "'t'", 'rank 17', 'at most 16 dimensions');
    expectTensorError(() => elementCount('t', new Array<number>(1_000_000).fill(1)), 'BAD_SHAPE', 'rank 1000000');
  });

  it('rejects more elements than the limit, stopping before the product overflows', () => {
    expectTensorError(() => elementCount('big', [4097, 4096]), 'TOO_LARGE', "'big'", '[4097,4096]', 'limit of 16777216 elements');
    expectTensorError(() => elementCount('big', new Array<number>(16).fill(2 ** 31 - 1)), 'TOO_LARGE', "'big'");
    expect(elementCount('fits', [4096, 4096])).toBe(16777216);
    expectTensorError(() => elementCount('t', [11], { maxElements: 10, maxBytes: 1000 }), 'TOO_LARGE', 'limit of 10 elements');
  });

  it('lets model outputs have zero-size dimensions (count 0), but never -1', () => {
    expect(checkShape('boxes', [0, 4], responseRules())).toBe(0);
    expect(checkShape('boxes', [2 ** 31 - 1, 2 ** 31 - 1, 0], responseRules())).toBe(0);
    expectTensorError(() => checkShape('boxes', [-1, 4], responseRules()), 'BAD_SHAPE', '-1 is only allowed in a signature');
  });
});
