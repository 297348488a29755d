import { ndjsonLines, type NdjsonEvent, type NdjsonLimits } from './ndjson-lines';

const roomy: NdjsonLimits = { maxBytes: 1 << 20, maxLineBytes: 1024 };

async function collect(chunks: (string | Buffer)[], limits = roomy): Promise<NdjsonEvent[]> {
  const out: NdjsonEvent[] = [];
  for await (const e of ndjsonLines(
    (async function* () {
      yield* chunks;
    })(),
    limits,
  )) {
    out.push(e);
  }
  return out;
}

describe('ndjsonLines', () => {
  it('numbers lines across chunk boundaries, skips blank ones and accepts CRLF, a BOM and a last line without newline', async () => {
    const events = await collect(['\uFEFF{"a":1}\r\n{"b"', ':2}\n\n   \n{"c":3}\r\n{"d":4}']);
    expect(events).toEqual([
      { kind: 'line', line: 1, text: '{"a":1}' },
      { kind: 'line', line: 2, text: '{"b":2}' },
      { kind: 'line', line: 5, text: '{"c":3}' },
      { kind: 'line', line: 6, text: '{"d":4}' },
    ]);
  });

  it('keeps a multi-byte character split between chunks', async () => {
    const bytes = Buffer.from('{"v":"été"}\n', 'utf8');
    const events = await collect([bytes.subarray(0, 8), bytes.subarray(8)]);
    expect(events).toEqual([{ kind: 'line', line: 1, text: '{"v":"été"}' }]);
  });

  it('reports a line that is too long or not UTF-8 by number, and goes on with the next', async () => {
    const long = 'x'.repeat(40);
    const events = await collect([`{"a":1}\n${long.slice(0, 20)}`, `${long.slice(20)}\n`, Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), '{"b":2}\n'], { maxBytes: 1000, maxLineBytes: 30 });
    expect(events).toEqual([
      { kind: 'line', line: 1, text: '{"a":1}' },
      { kind: 'invalid', line: 2, message: expect.stringMatching(/longer than 30 bytes/) },
      { kind: 'invalid', line: 3, message: 'The line is not valid UTF-8.' },
      { kind: 'line', line: 4, text: '{"b":2}' },
    ]);
  });

  it('reports a too-long last line without a newline', async () => {
    expect(await collect(['{"a":1}\n', 'y'.repeat(50)], { maxBytes: 1000, maxLineBytes: 30 })).toEqual([
      { kind: 'line', line: 1, text: '{"a":1}' },
      { kind: 'invalid', line: 2, message: expect.stringMatching(/longer than/) },
    ]);
  });

  it('stops at the byte limit: complete lines before it count, the cut line and the rest are not read', async () => {
    let pulled = 0;
    const source = (async function* () {
      for (const chunk of ['{"a":1}\n{"b":2}\n{"c"', ':3}\n{"d":4}\n', '{"e":5}\n']) {
        pulled++;
        yield chunk;
      }
    })();
    const events: NdjsonEvent[] = [];
    for await (const e of ndjsonLines(source, { maxBytes: 20, maxLineBytes: 100 })) events.push(e);
    expect(events).toEqual([
      { kind: 'line', line: 1, text: '{"a":1}' },
      { kind: 'line', line: 2, text: '{"b":2}' },
      { kind: 'limit', line: 3 },
    ]);
    expect(pulled).toBe(2);
  });

  it('does not call a body of exactly the limit too large', async () => {
    expect(await collect(['{"a":1}\n', '{"b":2}\n'], { maxBytes: 16, maxLineBytes: 100 })).toEqual([
      { kind: 'line', line: 1, text: '{"a":1}' },
      { kind: 'line', line: 2, text: '{"b":2}' },
    ]);
  });
});
