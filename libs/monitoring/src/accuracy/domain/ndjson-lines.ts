export interface NdjsonLimits {
  /** Bytes of the body read at most; the complete lines within them are processed. */
  readonly maxBytes: number;
  /** A longer line is reported as invalid (and skipped) without being held in memory. */
  readonly maxLineBytes: number;
}

export type NdjsonEvent =
  /** A non-blank line (1-based number), without its line ending. */
  | { readonly kind: 'line'; readonly line: number; readonly text: string }
  /** A line that cannot be read as text: too long, or not UTF-8. */
  | { readonly kind: 'invalid'; readonly line: number; readonly message: string }
  /** The body went over maxBytes: lines from `line` on were not read. Always the last event. */
  | { readonly kind: 'limit'; readonly line: number };

const NEWLINE = 0x0a;
const BOM = '\uFEFF';

/**
 * Splits a streamed NDJSON body into lines, holding at most one line in memory. Blank lines are
 * skipped (but counted); `\r\n` endings are accepted; a last line without a newline counts.
 * Reading stops at `maxBytes` (the source is not drained: the caller answers and closes).
 */
export async function* ndjsonLines(source: AsyncIterable<Uint8Array | string>, limits: NdjsonLimits): AsyncGenerator<NdjsonEvent> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 0;
  let total = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;

  function hold(piece: Buffer): void {
    if (tooLong || piece.length === 0) return;
    if (partBytes + piece.length > limits.maxLineBytes) {
      tooLong = true;
      parts = [];
      partBytes = 0;
      return;
    }
    parts.push(piece);
    partBytes += piece.length;
  }

  function finish(piece: Buffer): NdjsonEvent | null {
    hold(piece);
    const number = line;
    if (tooLong) {
      tooLong = false;
      return { kind: 'invalid', line: number, message: `The line is longer than ${limits.maxLineBytes} bytes; one actual per line is far shorter.` };
    }
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return { kind: 'invalid', line: number, message: 'The line is not valid UTF-8.' };
    }
    if (number === 1 && text.startsWith(BOM)) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return text.trim() === '' ? null : { kind: 'line', line: number, text };
  }

  for await (const chunk of source) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const over = total + buf.length > limits.maxBytes;
    if (over) buf = buf.subarray(0, limits.maxBytes - total);
    total += buf.length;
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE, start); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      line++;
      const event = finish(buf.subarray(start, nl));
      if (event) yield event;
      start = nl + 1;
    }
    hold(buf.subarray(start));
    if (over) {
      yield { kind: 'limit', line: line + 1 };
      return;
    }
  }
  if (partBytes > 0 || tooLong) {
    line++;
    const event = finish(Buffer.alloc(0));
    if (event) yield event;
  }
}
