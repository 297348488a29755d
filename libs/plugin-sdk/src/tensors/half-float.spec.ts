import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './half-float';

const hex = (table: (readonly [number, number])[]) => table.map(([x, bits]) => [x, `0x${bits.toString(16).padStart(4, '0')}`, bits] as const);

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Reference float32 → bfloat16: round the bit pattern to nearest even (finite, non-NaN inputs). */
function referenceBf16(x: number): number {
  F32[0] = x;
  const u = U32[0]!;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

describe('FP16 (binary16)', () => {
  it.each(hex([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [2 ** -14, 0x0400],
    [2 ** -24, 0x0001],
    [1023 * 2 ** -24, 0x03ff],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [0, 0x0000],
    [-0, 0x8000],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [1e10, 0x7c00],
    [-1e10, 0xfc00],
    [5e-324, 0x0000],
    [-5e-324, 0x8000],
  ] as const))('encodes %p as %s', (x, _hex, bits) => {
    expect(float32ToFloat16Bits(x)).toBe(bits);
  });

  it('encodes NaN as the quiet NaN 0x7e00 and decodes every NaN pattern to NaN', () => {
    expect(float32ToFloat16Bits(NaN)).toBe(0x7e00);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(float16BitsToFloat32(0x7c01)).toBeNaN();
    expect(float16BitsToFloat32(0xffff)).toBeNaN();
  });

  it.each(([
    [0x3c00, 1],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125],
    [0xc000, -2],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ] as const).map(([b, x]) => [`0x${b.toString(16).padStart(4, '0')}`, b, x] as const))('decodes %s as %p', (_hex, bits, x) => {
    expect(float16BitsToFloat32(bits)).toBe(x);
  });

  it('decodes 0x8000 as negative zero', () => {
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('rounds halfway cases to the even pattern', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // between 0x3c00 and 0x3c01
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // between 0x3c01 and 0x3c02
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // half the smallest subnormal
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // halfway between 65504 and the next step: to infinity
    expect(float32ToFloat16Bits(65519.99)).toBe(0x7bff);
  });

  it('rounds the given number directly, not through float32 (no double rounding)', () => {
    // float32 would first round this to exactly 1 + 2^-11, a tie that goes down to 0x3c00.
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    expect(float32ToFloat16Bits(2 ** -25 + 2 ** -60)).toBe(0x0001);
  });

  it('decodes and re-encodes every non-NaN pattern to itself', () => {
    const wrong: number[] = [];
    for (let b = 0; b <= 0xffff; b++) {
      if ((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0) continue;
      if (float32ToFloat16Bits(float16BitsToFloat32(b)) !== b) wrong.push(b);
    }
    expect(wrong).toEqual([]);
  });
});

describe('BF16 (bfloat16)', () => {
  it.each(hex([
    [1, 0x3f80],
    [-2, 0xc000],
    [Math.PI, 0x4049],
    [2 ** -133, 0x0001],
    [2 ** -126, 0x0080],
    [3.3895313892515355e38, 0x7f7f],
    [3.4028234663852886e38, 0x7f80], // float32 max rounds up to infinity
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
    [-0, 0x8000],
  ] as const))('encodes %p as %s', (x, _hex, bits) => {
    expect(float32ToBfloat16Bits(x)).toBe(bits);
  });

  it('encodes NaN as 0x7fc0', () => {
    expect(float32ToBfloat16Bits(NaN)).toBe(0x7fc0);
    expect(bfloat16BitsToFloat32(0x7fc0)).toBeNaN();
  });

  it('rounds halfway cases to the even pattern', () => {
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(float32ToBfloat16Bits(1 + 2 ** -8 + 2 ** -40)).toBe(0x3f81); // no double rounding through float32
  });

  it.each(([
    [0x3f80, 1],
    [0xc000, -2],
    [0x4049, 3.140625],
    [0x0001, 2 ** -133],
    [0x7f7f, 3.3895313892515355e38],
    [0xff80, -Infinity],
  ] as const).map(([b, x]) => [`0x${b.toString(16).padStart(4, '0')}`, b, x] as const))('decodes %s as %p', (_hex, bits, x) => {
    expect(bfloat16BitsToFloat32(bits)).toBe(x);
  });

  it('decodes and re-encodes every non-NaN pattern to itself', () => {
    const wrong: number[] = [];
    for (let b = 0; b <= 0xffff; b++) {
      if ((b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0) continue;
      if (float32ToBfloat16Bits(bfloat16BitsToFloat32(b)) !== b) wrong.push(b);
    }
    expect(wrong).toEqual([]);
  });

  it('agrees with round-to-nearest-even on float32 bit patterns', () => {
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const wrong: number[] = [];
    for (let i = 0; i < 20000; i++) {
      U32[0] = random();
      const x = F32[0]!;
      if (!Number.isFinite(x)) continue;
      if (float32ToBfloat16Bits(x) !== referenceBf16(x)) wrong.push(x);
    }
    expect(wrong).toEqual([]);
  });
});

describe.each([
  ['FP16', float32ToFloat16Bits, float16BitsToFloat32, 0x7bff],
  ['BF16', float32ToBfloat16Bits, bfloat16BitsToFloat32, 0x7f7f],
])('%s rounding between every pair of neighbours', (_name, encode, decode, largest) => {
  it('sends the midpoint to the even pattern and values just off it to the nearer one, for both signs', () => {
    const wrong: number[] = [];
    for (let b = 0; b < largest; b++) {
      const lo = decode(b);
      const hi = decode(b + 1);
      const mid = (lo + hi) / 2;
      const nudge = (hi - lo) / 1024;
      const even = b % 2 === 0 ? b : b + 1;
      if (encode(mid) !== even || encode(-mid) !== (even | 0x8000)) wrong.push(b);
      if (encode(mid - nudge) !== b || encode(mid + nudge) !== b + 1) wrong.push(b);
    }
    expect(wrong).toEqual([]);
  });
});
