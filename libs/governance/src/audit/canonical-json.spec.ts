import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts object keys, whatever order they were written in', () => {
    expect(canonicalJson({ b: 1, a: 2, c: 3 })).toBe('{"a":2,"b":1,"c":3}');
    expect(canonicalJson({ c: 3, a: 2, b: 1 })).toBe(canonicalJson({ a: 2, b: 1, c: 3 }));
  });

  it('sorts keys by UTF-16 code units, not by locale', () => {
    // "B" (U+0042) < "a" (U+0061) < "é" (U+00E9) < "😀" (U+D83D...) < "ｚ" (U+FF5A)
    expect(canonicalJson({ ｚ: 5, é: 3, a: 2, B: 1, '😀': 4 })).toBe('{"B":1,"a":2,"é":3,"😀":4,"ｚ":5}');
    expect(canonicalJson({ '10': 1, '9': 2, '': 0 })).toBe('{"":0,"10":1,"9":2}');
  });

  it('sorts keys at every level of nesting', () => {
    expect(canonicalJson({ z: { y: { b: 1, a: 2 }, x: [{ d: 1, c: 2 }] }, a: null })).toBe('{"a":null,"z":{"x":[{"c":2,"d":1}],"y":{"a":2,"b":1}}}');
  });

  it('keeps the order of arrays', () => {
    expect(canonicalJson([3, 1, 2, 'b', 'a'])).toBe('[3,1,2,"b","a"]');
    expect(canonicalJson([[2, 1], []])).toBe('[[2,1],[]]');
  });

  it('writes no whitespace', () => {
    expect(canonicalJson({ a: [1, { b: 'x y' }], c: {} })).toBe('{"a":[1,{"b":"x y"}],"c":{}}');
  });

  it('writes non-ASCII characters as they are and escapes only what JSON requires', () => {
    expect(canonicalJson('grüße 日本 😀')).toBe('"grüße 日本 😀"');
    expect(canonicalJson('q"b\\s/\n\t\u0001\u001f\u2028')).toBe('"q\\"b\\\\s/\\n\\t\\u0001\\u001f\u2028"');
    expect(canonicalJson('\ud800')).toBe('"\\ud800"');
    expect(canonicalJson({ 'ключ': 'значение' })).toBe('{"ключ":"значение"}');
  });

  it('writes numbers in their shortest round-trip form, -0 as 0', () => {
    expect(canonicalJson([0, -0, 1, -1.5, 0.1, 1e21, 1e-7, 123456789012345680000, 5e-324])).toBe('[0,0,1,-1.5,0.1,1e+21,1e-7,123456789012345680000,5e-324]');
    expect(canonicalJson(-0)).toBe('0');
  });

  it('refuses NaN, the infinities and bigint', () => {
    expect(() => canonicalJson(NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ a: Infinity })).toThrow(TypeError);
    expect(() => canonicalJson([-Infinity])).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(/decimal string/);
  });

  it('leaves out undefined properties and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: 1, c: () => 1, d: Symbol('s') })).toBe('{"b":1}');
    expect(canonicalJson([undefined, 1, () => 1])).toBe('[null,1,null]');
    expect(canonicalJson({ only: undefined })).toBe('{}');
    expect(canonicalJson({ a: undefined, b: 1 })).toBe(canonicalJson({ b: 1 }));
  });

  it('refuses a top-level value that has no JSON form', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
  });

  it('writes dates as ISO 8601 in UTC with milliseconds, and uses toJSON', () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2026, 10, 1, 12, 0, 0)) })).toBe('{"at":"2026-11-01T12:00:00.000Z"}');
    expect(canonicalJson({ v: { toJSON: () => ({ y: 1, x: 2 }) } })).toBe('{"v":{"x":2,"y":1}}');
    expect(() => canonicalJson(new Date(NaN))).toThrow(/invalid Date/);
  });

  it('writes null, booleans and strings as JSON', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(false)).toBe('false');
    expect(canonicalJson('')).toBe('""');
  });

  it('refuses circular values but accepts the same object twice', () => {
    const shared = { a: 1 };
    expect(canonicalJson({ x: shared, y: shared })).toBe('{"x":{"a":1},"y":{"a":1}}');
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    expect(() => canonicalJson(loop)).toThrow(/circular/);
  });

  it('agrees with JSON.parse: the output parses back to an equal value', () => {
    const value = { n: [1, 2.5, -3e-9], s: 'ü\n"', o: { z: true, a: null } };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});
