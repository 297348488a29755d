import { Readable } from 'node:stream';
import * as protobuf from 'protobufjs';
import {
  BufferWireReader,
  StreamWireReader,
  WireFormatError,
  WireFormatErrorCode,
  WireType,
} from './protobuf-wire-reader';

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

function streamReader(bytes: Uint8Array | number[], chunkSize = Number.MAX_SAFE_INTEGER): StreamWireReader {
  return new StreamWireReader(Readable.from(chunked(Uint8Array.from(bytes), chunkSize)));
}

async function wireError(promise: Promise<unknown>): Promise<WireFormatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WireFormatError);
  return error as WireFormatError;
}

function syncWireError(fn: () => unknown): WireFormatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WireFormatError);
    return error as WireFormatError;
  }
  throw new Error('expected a WireFormatError');
}

const TEN_BYTE_MINUS_ONE = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];

describe('varints', () => {
  const cases: [string, number[], bigint][] = [
    ['zero', [0x00], 0n],
    ['one byte max', [0x7f], 127n],
    ['two bytes', [0x80, 0x01], 128n],
    ['300', [0xac, 0x02], 300n],
    ['2^32', [0x80, 0x80, 0x80, 0x80, 0x10], 2n ** 32n],
    ['2^53 - 1', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], 2n ** 53n - 1n],
    ['uint64 max', TEN_BYTE_MINUS_ONE, 2n ** 64n - 1n],
  ];

  it.each(cases)('decodes %s as an unsigned 64-bit value, in one chunk and byte by byte', async (_label, bytes, value) => {
    expect(await streamReader(bytes).readUint64()).toBe(value);
    expect(await streamReader(bytes, 1).readUint64()).toBe(value);
    expect(new BufferWireReader(Uint8Array.from(bytes)).readUint64()).toBe(value);
  });

  it('decodes the 10-byte encoding of -1 as int64 -1 (protobuf writes negative int64/int32 in 10 bytes)', async () => {
    const written = protobuf.Writer.create().int64(-1).finish();
    expect([...written]).toEqual(TEN_BYTE_MINUS_ONE);
    expect(await streamReader(written).readInt64()).toBe(-1n);
    expect(await streamReader(written, 3).readInt64Number()).toBe(-1);
    expect(new BufferWireReader(written).readInt64Number()).toBe(-1);
  });

  it('agrees with protobufjs on int64 values across the range, including 10-byte negatives', async () => {
    const values = [0, 1, -1, 63, -64, 300, -300, 2 ** 31, -(2 ** 31), 2 ** 40 + 7, -(2 ** 40) - 7];
    values.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
    const writer = protobuf.Writer.create();
    for (const v of values) writer.int64(v);
    const bytes = writer.finish();
    for (const chunkSize of [1, 2, 5, bytes.length]) {
      const reader = streamReader(bytes, chunkSize);
      const read: number[] = [];
      while (!(await reader.atEnd())) read.push(await reader.readInt64Number());
      expect(read).toEqual(values);
      expect(reader.position).toBe(bytes.length);
    }
  });

  it('decodes int64 min, which needs all 64 bits', async () => {
    const bytes = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    expect(await streamReader(bytes).readInt64()).toBe(-(2n ** 63n));
  });

  it('refuses a varint longer than 10 bytes', async () => {
    const bytes = [...Array(10).fill(0x80), 0x01];
    const error = await wireError(streamReader(bytes).readUint64());
    expect(error.code).toBe(WireFormatErrorCode.MALFORMED_VARINT);
    expect(error.position).toBe(0);
    expect(syncWireError(() => new BufferWireReader(Uint8Array.from(bytes)).readUint64()).code).toBe(
      WireFormatErrorCode.MALFORMED_VARINT,
    );
  });

  it('refuses a 10-byte varint wider than 64 bits', async () => {
    const bytes = [...Array(9).fill(0xff), 0x02];
    expect((await wireError(streamReader(bytes, 4).readUint64())).code).toBe(WireFormatErrorCode.MALFORMED_VARINT);
  });

  it('reports a varint cut off by the end of the stream as truncated', async () => {
    const error = await wireError(streamReader([0x96, 0x81], 1).readUint64());
    expect(error.code).toBe(WireFormatErrorCode.TRUNCATED);
    expect(error.position).toBe(2);
    expect(error.message).toContain('at byte 2');
  });

  it('refuses an int64 outside the safe integer range when a number is asked for', async () => {
    const bytes = protobuf.Writer.create().uint64('18014398509481984').finish(); // 2^54
    expect((await wireError(streamReader(bytes).readInt64Number('dim_value'))).code).toBe(
      WireFormatErrorCode.INTEGER_OUT_OF_RANGE,
    );
  });

  it('refuses a length prefix beyond 2^53', async () => {
    expect((await wireError(streamReader(TEN_BYTE_MINUS_ONE).readLength())).code).toBe(
      WireFormatErrorCode.INTEGER_OUT_OF_RANGE,
    );
  });
});

describe('tags', () => {
  it('splits a tag into field number and wire type', async () => {
    const bytes = protobuf.Writer.create().uint32((1000 << 3) | WireType.FIXED32).finish();
    expect(await streamReader(bytes, 1).readTag()).toEqual({ fieldNumber: 1000, wireType: WireType.FIXED32 });
  });

  it('refuses field number 0', async () => {
    expect((await wireError(streamReader([0x00]).readTag())).code).toBe(WireFormatErrorCode.INVALID_TAG);
  });

  it.each([6, 7])('refuses wire type %i, which does not exist', async (wireType) => {
    const error = await wireError(streamReader([(3 << 3) | wireType]).readTag());
    expect(error.code).toBe(WireFormatErrorCode.INVALID_WIRE_TYPE);
    expect(error.message).toContain(`wire type ${wireType}`);
  });

  it('refuses a tag wider than 32 bits', async () => {
    const bytes = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    expect((await wireError(streamReader(bytes).readTag())).code).toBe(WireFormatErrorCode.INVALID_TAG);
  });
});

describe('fixed-width values and bytes', () => {
  it('reads fixed32, fixed64 and length-delimited bytes across chunk boundaries', async () => {
    const bytes = protobuf.Writer.create()
      .fixed32(0xdeadbeef)
      .fixed64('1234605616436508552') // 0x1122334455667788
      .bytes(Uint8Array.from([1, 2, 3, 4, 5]))
      .finish();
    for (const chunkSize of [1, 3, bytes.length]) {
      const reader = streamReader(bytes, chunkSize);
      expect(await reader.readFixed32()).toBe(0xdeadbeef);
      expect(await reader.readFixed64()).toBe(0x1122334455667788n);
      const length = await reader.readLength();
      expect([...(await reader.readBytes(length))]).toEqual([1, 2, 3, 4, 5]);
      expect(await reader.atEnd()).toBe(true);
    }
  });

  it('copies read bytes, so they stay valid when the source reuses its chunk buffer', async () => {
    const shared = Uint8Array.from([7, 7, 7, 7]);
    async function* reusing(): AsyncGenerator<Uint8Array> {
      yield shared;
      shared.fill(9);
      yield shared;
    }
    const reader = new StreamWireReader(reusing());
    const first = await reader.readBytes(4);
    await reader.readBytes(4);
    expect([...first]).toEqual([7, 7, 7, 7]);
  });

  it('reports bytes cut off by the end of the stream as truncated, with the position reached', async () => {
    const reader = streamReader([1, 2, 3], 2);
    const error = await wireError(reader.readBytes(5));
    expect(error.code).toBe(WireFormatErrorCode.TRUNCATED);
    expect(error.position).toBe(3);
  });

  it('keeps the first 64 bytes for format detection', async () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const reader = streamReader(bytes, 7);
    await reader.skipBytes(100);
    expect([...reader.headerBytes()]).toEqual([...bytes.subarray(0, 64)]);
  });
});

describe('skipping', () => {
  function sample(): Uint8Array {
    return protobuf.Writer.create()
      .uint32((1 << 3) | WireType.VARINT)
      .int64(-5)
      .uint32((2 << 3) | WireType.FIXED64)
      .fixed64(42)
      .uint32((3 << 3) | WireType.LENGTH_DELIMITED)
      .bytes(new Uint8Array(1000).fill(0xab))
      .uint32((4 << 3) | WireType.FIXED32)
      .fixed32(7)
      .uint32((5 << 3) | WireType.START_GROUP)
      .uint32((6 << 3) | WireType.VARINT)
      .uint32(1)
      .uint32((7 << 3) | WireType.START_GROUP)
      .uint32((7 << 3) | WireType.END_GROUP)
      .uint32((5 << 3) | WireType.END_GROUP)
      .uint32((9 << 3) | WireType.VARINT)
      .uint32(99)
      .finish();
  }

  it.each([1, 2, 13, 100000])('skips every wire type, groups included, with %i-byte chunks', async (chunkSize) => {
    const reader = streamReader(sample(), chunkSize);
    const seen: number[] = [];
    for (;;) {
      const tag = await reader.readTag();
      seen.push(tag.fieldNumber);
      if (tag.fieldNumber === 9) break;
      await reader.skipField(tag);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 9]);
    expect(await reader.readLength()).toBe(99);
    expect(await reader.atEnd()).toBe(true);
  });

  it('skips the same way in memory', () => {
    const reader = new BufferWireReader(sample());
    const seen: number[] = [];
    while (!reader.atEnd()) {
      const tag = reader.readTag();
      seen.push(tag.fieldNumber);
      reader.skipField(tag);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 9]);
  });

  it('streams past a large length-delimited field without copying its chunks', async () => {
    const payload = 8 * 1024 * 1024;
    const chunk = new Uint8Array(64 * 1024);
    const header = protobuf.Writer.create()
      .uint32((3 << 3) | WireType.LENGTH_DELIMITED)
      .uint32(payload)
      .finish();
    const pulled: Uint8Array[] = [];
    async function* source(): AsyncGenerator<Uint8Array> {
      yield header;
      for (let sent = 0; sent < payload; sent += chunk.length) {
        pulled.push(chunk);
        yield chunk;
      }
      yield Uint8Array.from([(4 << 3) | WireType.VARINT, 5]);
    }
    const reader = new StreamWireReader(source());
    await reader.skipField(await reader.readTag());
    expect(reader.position).toBe(header.length + payload);
    expect(await reader.readTag()).toEqual({ fieldNumber: 4, wireType: WireType.VARINT });
    expect(await reader.readLength()).toBe(5);
    expect(pulled).toHaveLength(payload / chunk.length);
  });

  it('reports a skip past the end of the stream as truncated', async () => {
    const bytes = protobuf.Writer.create()
      .uint32((3 << 3) | WireType.LENGTH_DELIMITED)
      .uint32(100)
      .finish();
    const reader = streamReader([...bytes, 1, 2, 3], 2);
    const error = await wireError(reader.skipField(await reader.readTag()));
    expect(error.code).toBe(WireFormatErrorCode.TRUNCATED);
    expect(error.position).toBe(5);
  });

  it('refuses an end-group tag that does not close the open group', async () => {
    const bytes = [(5 << 3) | WireType.START_GROUP, (6 << 3) | WireType.END_GROUP];
    const reader = streamReader(bytes);
    expect((await wireError(reader.skipField(await reader.readTag()))).code).toBe(WireFormatErrorCode.GROUP_MISMATCH);
  });

  it('refuses groups nested more than 64 deep instead of recursing without bound', async () => {
    const bytes = Array(100).fill((5 << 3) | WireType.START_GROUP);
    const reader = streamReader(bytes);
    expect((await wireError(reader.skipField(await reader.readTag()))).code).toBe(
      WireFormatErrorCode.NESTING_TOO_DEEP,
    );
  });
});

describe('BufferWireReader', () => {
  it('reports a field running past the end of the message, with the absolute position', () => {
    const reader = new BufferWireReader(Uint8Array.from([(1 << 3) | WireType.LENGTH_DELIMITED, 10, 1, 2]), 500);
    reader.readTag();
    const error = syncWireError(() => reader.readBytes(reader.readLength()));
    expect(error.code).toBe(WireFormatErrorCode.MESSAGE_OVERRUN);
    expect(error.position).toBe(502);
  });

  it('reads nested messages through sub-readers that keep absolute positions', () => {
    const inner = protobuf.Writer.create().uint32((1 << 3) | WireType.VARINT).uint32(150).finish();
    const outer = protobuf.Writer.create()
      .uint32((2 << 3) | WireType.LENGTH_DELIMITED)
      .bytes(inner)
      .finish();
    const reader = new BufferWireReader(outer, 1000);
    reader.readTag();
    const sub = reader.subReader(reader.readLength());
    expect(sub.position).toBe(1002);
    expect(sub.readTag()).toEqual({ fieldNumber: 1, wireType: WireType.VARINT });
    expect(sub.readLength()).toBe(150);
    expect(sub.atEnd()).toBe(true);
    expect(reader.atEnd()).toBe(true);
  });

  it('decodes strings as strict UTF-8', () => {
    const good = protobuf.Writer.create().string('größe ✓').finish();
    expect(new BufferWireReader(good).readString()).toBe('größe ✓');
    const bad = Uint8Array.from([2, 0xc3, 0x28]);
    expect(syncWireError(() => new BufferWireReader(bad).readString()).code).toBe(WireFormatErrorCode.INVALID_UTF8);
  });

  it('reports a truncated varint as a message overrun', () => {
    expect(syncWireError(() => new BufferWireReader(Uint8Array.from([0x80])).readUint64()).code).toBe(
      WireFormatErrorCode.MESSAGE_OVERRUN,
    );
  });
});

describe('StreamWireReader sources', () => {
  it('skips empty chunks and counts positions across chunks', async () => {
    const reader = new StreamWireReader(
      Readable.from([new Uint8Array(0), Uint8Array.from([0xac]), new Uint8Array(0), Uint8Array.from([0x02, 0x08])]),
    );
    expect(await reader.readLength()).toBe(300);
    expect(reader.position).toBe(2);
    expect(await reader.atEnd()).toBe(false);
    await reader.skipBytes(1);
    expect(await reader.atEnd()).toBe(true);
  });

  it('rejects a stream of strings with a clear TypeError (setEncoding was called on it)', async () => {
    const error = await new StreamWireReader(Readable.from(['text'])).readTag().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('setEncoding');
  });

  it('close() destroys a Readable it has not finished', async () => {
    const source = Readable.from([Uint8Array.from([1, 2]), Uint8Array.from([3])]);
    const reader = new StreamWireReader(source);
    await reader.readBytes(1);
    await reader.close();
    expect(source.destroyed).toBe(true);
    await reader.close();
  });
});
