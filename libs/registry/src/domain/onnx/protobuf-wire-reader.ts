// A small reader for the protobuf wire format (https://protobuf.dev/programming-guides/encoding/).
//
// Two flavours share the same decoding rules:
// * StreamWireReader pulls bytes from an async source (a Node Readable) and never holds more than
//   the chunk it is reading: skipping a field streams past its bytes without copying them, so a
//   multi-gigabyte length-delimited field costs no memory.
// * BufferWireReader decodes a small message that has already been read into memory.
//
// Neither knows any schema: callers decide which fields to read, copy or skip.

export enum WireType {
  VARINT = 0,
  FIXED64 = 1,
  LENGTH_DELIMITED = 2,
  START_GROUP = 3,
  END_GROUP = 4,
  FIXED32 = 5,
}

export enum WireFormatErrorCode {
  /** The stream ended in the middle of a value. */
  TRUNCATED = 'TRUNCATED',
  /** An in-memory message ended in the middle of a value (its enclosing length was too short). */
  MESSAGE_OVERRUN = 'MESSAGE_OVERRUN',
  /** A varint longer than 10 bytes or wider than 64 bits. */
  MALFORMED_VARINT = 'MALFORMED_VARINT',
  /** Field number 0, a field number above 2^29-1, or a tag wider than 32 bits. */
  INVALID_TAG = 'INVALID_TAG',
  /** Wire types 6 and 7 do not exist. */
  INVALID_WIRE_TYPE = 'INVALID_WIRE_TYPE',
  /** An end-group tag without its start, or with a different field number. */
  GROUP_MISMATCH = 'GROUP_MISMATCH',
  /** Groups nested deeper than the reader accepts. */
  NESTING_TOO_DEEP = 'NESTING_TOO_DEEP',
  /** An integer that does not fit where it is used (a length beyond 2^53, an int64 beyond a safe number). */
  INTEGER_OUT_OF_RANGE = 'INTEGER_OUT_OF_RANGE',
  /** A string field whose bytes are not valid UTF-8. */
  INVALID_UTF8 = 'INVALID_UTF8',
}

/** Raised for bytes that are not valid protobuf wire format; `position` is the byte offset of the problem. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';

  constructor(
    readonly code: WireFormatErrorCode,
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at byte ${position})`);
  }
}

export interface FieldTag {
  fieldNumber: number;
  wireType: WireType;
}

/** A 64-bit varint as two unsigned 32-bit halves. */
export interface Varint64 {
  lo: number;
  hi: number;
}

const MAX_FIELD_NUMBER = 2 ** 29 - 1;
const MAX_GROUP_DEPTH = 64;
const HEADER_BYTES = 64;
const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes a varint from `bytes[offset..limit)`. Returns the value and the offset after it, or
 * `undefined` when the bytes end before the varint does. Throws on a varint that is longer than
 * 10 bytes or wider than 64 bits. `position` is the absolute offset of `bytes[offset]`, for errors.
 */
export function decodeVarint(
  bytes: Uint8Array,
  offset: number,
  limit: number,
  position: number,
): { value: Varint64; next: number } | undefined {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (offset + i >= limit) return undefined;
    const b = bytes[offset + i];
    const bits = b & 0x7f;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= (bits & 0x0f) << 28;
      hi |= bits >>> 4;
    } else if (i < 9) hi |= bits << (7 * i - 32);
    else {
      // The 10th byte holds only bit 63.
      if (b > 1) {
        throw new WireFormatError(
          WireFormatErrorCode.MALFORMED_VARINT,
          'varint is wider than 64 bits or longer than 10 bytes',
          position,
        );
      }
      hi |= b << 31;
    }
    if ((b & 0x80) === 0) return { value: { lo: lo >>> 0, hi: hi >>> 0 }, next: offset + i + 1 };
  }
  /* istanbul ignore next: the 10th byte either ends the varint or throws */
  throw new WireFormatError(WireFormatErrorCode.MALFORMED_VARINT, 'varint is longer than 10 bytes', position);
}

/** The varint as an unsigned 64-bit integer. */
export function varintToUint64(v: Varint64): bigint {
  return (BigInt(v.hi) << 32n) | BigInt(v.lo);
}

/** The varint as a two's-complement signed 64-bit integer (protobuf int64/int32 encoding). */
export function varintToInt64(v: Varint64): bigint {
  return BigInt.asIntN(64, varintToUint64(v));
}

function toSafeNumber(value: bigint, what: string, position: number): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new WireFormatError(
      WireFormatErrorCode.INTEGER_OUT_OF_RANGE,
      `${what} ${value} is outside the safe integer range`,
      position,
    );
  }
  return Number(value);
}

function tagFromVarint(v: Varint64, position: number): FieldTag {
  if (v.hi !== 0) {
    throw new WireFormatError(WireFormatErrorCode.INVALID_TAG, 'field tag is wider than 32 bits', position);
  }
  const fieldNumber = v.lo >>> 3;
  const wireType = v.lo & 7;
  if (fieldNumber === 0 || fieldNumber > MAX_FIELD_NUMBER) {
    throw new WireFormatError(WireFormatErrorCode.INVALID_TAG, `invalid field number ${fieldNumber}`, position);
  }
  if (wireType > WireType.FIXED32) {
    throw new WireFormatError(
      WireFormatErrorCode.INVALID_WIRE_TYPE,
      `invalid wire type ${wireType} for field ${fieldNumber}`,
      position,
    );
  }
  return { fieldNumber, wireType };
}

function lengthFromVarint(v: Varint64, position: number): number {
  // A length above 2^53 cannot address a real file; refuse it rather than lose precision.
  if (v.hi > 0x1fffff) {
    throw new WireFormatError(
      WireFormatErrorCode.INTEGER_OUT_OF_RANGE,
      `length ${varintToUint64(v)} is larger than any file`,
      position,
    );
  }
  return v.hi * 2 ** 32 + v.lo;
}

/** Decodes UTF-8 strictly: invalid sequences are an error, not replacement characters. */
export function decodeUtf8(bytes: Uint8Array, position: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WireFormatError(WireFormatErrorCode.INVALID_UTF8, 'string field is not valid UTF-8', position);
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError(
    `The source must yield bytes (Buffer or Uint8Array), got ${typeof chunk}: do not call setEncoding() on it.`,
  );
}

/**
 * Reads the wire format from an async source of byte chunks. Memory use is the current chunk plus
 * what the caller explicitly copies with readBytes(); skipBytes() and skipField() copy nothing.
 * Not safe for concurrent calls: await each read before the next.
 */
export class StreamWireReader {
  private readonly iterator: AsyncIterator<unknown>;
  private chunk: Uint8Array = EMPTY;
  private offset = 0;
  /** Bytes in all chunks before the current one. */
  private consumedBefore = 0;
  private ended = false;
  private readonly header = new Uint8Array(HEADER_BYTES);
  private headerLength = 0;

  constructor(source: AsyncIterable<unknown>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Absolute offset of the next byte to read. */
  get position(): number {
    return this.consumedBefore + this.offset;
  }

  /** The first bytes of the stream (up to 64) that have been pulled so far, e.g. to name a file format. */
  headerBytes(): Uint8Array {
    return this.header.slice(0, this.headerLength);
  }

  /** True when every byte of the source has been read. */
  async atEnd(): Promise<boolean> {
    return this.offset >= this.chunk.length && !(await this.pull());
  }

  async readTag(): Promise<FieldTag> {
    const position = this.position;
    return tagFromVarint(await this.readVarint(), position);
  }

  async readVarint(): Promise<Varint64> {
    const position = this.position;
    const fast = decodeVarint(this.chunk, this.offset, this.chunk.length, position);
    if (fast) {
      this.offset = fast.next;
      return fast.value;
    }
    // The varint straddles chunks: gather its bytes one at a time.
    const scratch = new Uint8Array(10);
    for (let i = 0; i < 10; i++) {
      scratch[i] = await this.readByte();
      const done = decodeVarint(scratch, 0, i + 1, position);
      if (done) return done.value;
    }
    /* istanbul ignore next: decodeVarint throws on the 10th byte if the varint has not ended */
    throw new WireFormatError(WireFormatErrorCode.MALFORMED_VARINT, 'varint is longer than 10 bytes', position);
  }

  /** A length prefix or other non-negative count, as a safe integer. */
  async readLength(): Promise<number> {
    const position = this.position;
    return lengthFromVarint(await this.readVarint(), position);
  }

  async readUint64(): Promise<bigint> {
    return varintToUint64(await this.readVarint());
  }

  async readInt64(): Promise<bigint> {
    return varintToInt64(await this.readVarint());
  }

  /** An int64 field as a number; values outside ±(2^53-1) are an error. */
  async readInt64Number(what = 'integer'): Promise<number> {
    const position = this.position;
    return toSafeNumber(varintToInt64(await this.readVarint()), what, position);
  }

  async readFixed32(): Promise<number> {
    const b = await this.readBytes(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  async readFixed64(): Promise<bigint> {
    const b = await this.readBytes(8);
    const view = new DataView(b.buffer, b.byteOffset, 8);
    return view.getBigUint64(0, true);
  }

  /** Copies the next `length` bytes into a new array. Bound `length` before calling: it is allocated up front. */
  async readBytes(length: number): Promise<Uint8Array> {
    const available = this.chunk.length - this.offset;
    if (length <= available) {
      const out = this.chunk.slice(this.offset, this.offset + length);
      this.offset += length;
      return out;
    }
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.offset >= this.chunk.length && !(await this.pull())) throw this.truncated();
      const step = Math.min(this.chunk.length - this.offset, length - filled);
      out.set(this.chunk.subarray(this.offset, this.offset + step), filled);
      this.offset += step;
      filled += step;
    }
    return out;
  }

  /** Streams past `length` bytes without keeping them. */
  async skipBytes(length: number): Promise<void> {
    let remaining = length;
    while (remaining > 0) {
      if (this.offset >= this.chunk.length && !(await this.pull())) throw this.truncated();
      const step = Math.min(this.chunk.length - this.offset, remaining);
      this.offset += step;
      remaining -= step;
    }
  }

  /** Skips the value of a field whose tag has just been read (groups included, up to 64 levels deep). */
  async skipField(tag: FieldTag): Promise<void> {
    const openGroups: number[] = [];
    let current = tag;
    for (;;) {
      switch (current.wireType) {
        case WireType.VARINT:
          await this.readVarint();
          break;
        case WireType.FIXED64:
          await this.skipBytes(8);
          break;
        case WireType.FIXED32:
          await this.skipBytes(4);
          break;
        case WireType.LENGTH_DELIMITED:
          await this.skipBytes(await this.readLength());
          break;
        case WireType.START_GROUP:
          if (openGroups.length >= MAX_GROUP_DEPTH) {
            throw new WireFormatError(WireFormatErrorCode.NESTING_TOO_DEEP, 'groups nested too deeply', this.position);
          }
          openGroups.push(current.fieldNumber);
          break;
        case WireType.END_GROUP:
          if (openGroups.pop() !== current.fieldNumber) {
            throw new WireFormatError(
              WireFormatErrorCode.GROUP_MISMATCH,
              `end of group ${current.fieldNumber} without its start`,
              this.position,
            );
          }
          break;
      }
      if (openGroups.length === 0) return;
      current = await this.readTag();
    }
  }

  /** Stops reading and releases the source (a Node Readable is destroyed). Safe to call more than once. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.chunk = EMPTY;
    this.offset = 0;
    await this.iterator.return?.();
  }

  private async readByte(): Promise<number> {
    if (this.offset >= this.chunk.length && !(await this.pull())) throw this.truncated();
    return this.chunk[this.offset++];
  }

  /** Replaces the exhausted chunk with the next non-empty one; false at the end of the source. */
  private async pull(): Promise<boolean> {
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const bytes = toBytes(next.value);
      if (bytes.length === 0) continue;
      this.consumedBefore += this.chunk.length;
      this.chunk = bytes;
      this.offset = 0;
      if (this.headerLength < HEADER_BYTES) {
        const take = Math.min(HEADER_BYTES - this.headerLength, bytes.length);
        this.header.set(bytes.subarray(0, take), this.headerLength);
        this.headerLength += take;
      }
      return true;
    }
    return false;
  }

  private truncated(): WireFormatError {
    return new WireFormatError(WireFormatErrorCode.TRUNCATED, 'the data ends in the middle of a field', this.position);
  }
}

/** Reads the wire format from bytes already in memory. `baseOffset` makes error positions absolute. */
export class BufferWireReader {
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly baseOffset = 0,
  ) {
    this.pos = 0;
  }

  /** Absolute offset of the next byte to read. */
  get position(): number {
    return this.baseOffset + this.pos;
  }

  get length(): number {
    return this.bytes.length;
  }

  atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  readTag(): FieldTag {
    const position = this.position;
    return tagFromVarint(this.readVarint(), position);
  }

  readVarint(): Varint64 {
    const decoded = decodeVarint(this.bytes, this.pos, this.bytes.length, this.position);
    if (!decoded) throw this.overrun();
    this.pos = decoded.next;
    return decoded.value;
  }

  readLength(): number {
    const position = this.position;
    return lengthFromVarint(this.readVarint(), position);
  }

  readUint64(): bigint {
    return varintToUint64(this.readVarint());
  }

  readInt64(): bigint {
    return varintToInt64(this.readVarint());
  }

  readInt64Number(what = 'integer'): number {
    const position = this.position;
    return toSafeNumber(varintToInt64(this.readVarint()), what, position);
  }

  readFixed32(): number {
    const b = this.readBytes(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  readFixed64(): bigint {
    const b = this.readBytes(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  /** A view (not a copy) of the next `length` bytes. */
  readBytes(length: number): Uint8Array {
    if (length > this.bytes.length - this.pos) throw this.overrun();
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** A length-delimited UTF-8 string. */
  readString(): string {
    const length = this.readLength();
    const position = this.position;
    return decodeUtf8(this.readBytes(length), position);
  }

  skipBytes(length: number): void {
    if (length > this.bytes.length - this.pos) throw this.overrun();
    this.pos += length;
  }

  skipField(tag: FieldTag): void {
    const openGroups: number[] = [];
    let current = tag;
    for (;;) {
      switch (current.wireType) {
        case WireType.VARINT:
          this.readVarint();
          break;
        case WireType.FIXED64:
          this.skipBytes(8);
          break;
        case WireType.FIXED32:
          this.skipBytes(4);
          break;
        case WireType.LENGTH_DELIMITED:
          this.skipBytes(this.readLength());
          break;
        case WireType.START_GROUP:
          if (openGroups.length >= MAX_GROUP_DEPTH) {
            throw new WireFormatError(WireFormatErrorCode.NESTING_TOO_DEEP, 'groups nested too deeply', this.position);
          }
          openGroups.push(current.fieldNumber);
          break;
        case WireType.END_GROUP:
          if (openGroups.pop() !== current.fieldNumber) {
            throw new WireFormatError(
              WireFormatErrorCode.GROUP_MISMATCH,
              `end of group ${current.fieldNumber} without its start`,
              this.position,
            );
          }
          break;
      }
      if (openGroups.length === 0) return;
      current = this.readTag();
    }
  }

  /** A reader over the next `length` bytes (a nested message), advancing past them. */
  subReader(length: number): BufferWireReader {
    const base = this.position;
    return new BufferWireReader(this.readBytes(length), base);
  }

  private overrun(): WireFormatError {
    return new WireFormatError(
      WireFormatErrorCode.MESSAGE_OVERRUN,
      'a field runs past the end of its enclosing message',
      this.position,
    );
  }
}
