import { ModelportMonitor, type MonitorError } from './monitor';

interface Call {
  url: string;
  lines: Record<string, unknown>[];
}

/** A fake server: answers each call with the next scripted answer (a function of the lines it got). */
function server(script: ((lines: Record<string, unknown>[]) => { status: number; body: unknown } | Error)[]) {
  const calls: Call[] = [];
  const fetcher = (async (url: string, init: { body: string }) => {
    const lines = init.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    calls.push({ url, lines });
    const step = script[Math.min(calls.length - 1, script.length - 1)]!;
    const answer = step(lines);
    if (answer instanceof Error) throw answer;
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  }) as unknown as typeof fetch;
  return { calls, fetcher };
}

const ok = (lines: Record<string, unknown>[]) => ({ status: 200, body: { accepted: lines.length, rejected: [] } });

function monitor(fetcher: typeof fetch, errors: MonitorError[] = [], extra: Partial<ConstructorParameters<typeof ModelportMonitor>[0]> = {}) {
  return new ModelportMonitor({ url: 'http://mp.test/', token: 'mpt_x', deploymentId: 'dep-1', flushIntervalMs: 0, retryBaseMs: 1, fetch: fetcher, onError: (e) => errors.push(e), ...extra });
}

describe('ModelportMonitor', () => {
  it('sends queued predictions as NDJSON batches, predictions before actuals', async () => {
    const { calls, fetcher } = server([ok]);
    const m = monitor(fetcher, [], { batchSize: 2 });
    m.recordActual({ associationId: 'a1', value: 1 });
    for (let i = 0; i < 3; i++) m.recordPrediction({ associationId: `a${i}`, features: { x: i }, prediction: { y: i * 2 }, timestamp: new Date('2026-11-27T10:00:00Z') });
    await m.close();
    expect(calls.map((c) => [c.url, c.lines.length])).toEqual([
      ['http://mp.test/v1/deployments/dep-1/predictions', 2],
      ['http://mp.test/v1/deployments/dep-1/predictions', 1],
      ['http://mp.test/v1/deployments/dep-1/actuals', 1],
    ]);
    expect(calls[0]!.lines[0]).toEqual({ associationId: 'a0', features: { x: 0 }, prediction: { y: 0 }, timestamp: '2026-11-27T10:00:00.000Z' });
    expect(m.stats).toEqual({ sent: 4, rejected: 0, retried: 0, dropped: 0 });
  });

  it('retries a batch after a 503, a 429 and a network error, then succeeds', async () => {
    const { calls, fetcher } = server([() => ({ status: 503, body: {} }), () => ({ status: 429, body: {} }), () => new Error('ECONNRESET'), ok]);
    const m = monitor(fetcher);
    m.recordPrediction({ prediction: { y: 1 } });
    await m.flush();
    expect(calls).toHaveLength(4);
    expect(m.stats).toEqual({ sent: 1, rejected: 0, retried: 3, dropped: 0 });
  });

  it('keeps the good lines, reports the refused ones, and sends again only the lines the server asks for', async () => {
    const errors: MonitorError[] = [];
    const { calls, fetcher } = server([
      () => ({ status: 503, body: { accepted: 1, rejected: [{ line: 2, error: 'not valid JSON' }, { line: 3, error: 'log full', retryable: true }] } }),
      ok,
    ]);
    const m = monitor(fetcher, errors);
    for (const y of [1, 2, 3]) m.recordPrediction({ prediction: { y } });
    await m.flush();
    expect(calls[1]!.lines).toEqual([{ prediction: { y: 3 } }]);
    expect(errors).toEqual([{ kind: 'rejected', stream: 'predictions', message: 'not valid JSON', record: { prediction: { y: 2 } } }]);
    expect(m.stats).toEqual({ sent: 2, rejected: 1, retried: 1, dropped: 0 });
  });

  it('gives up after maxRetries and says so; a 4xx for the whole request is not retried', async () => {
    const errors: MonitorError[] = [];
    const down = server([() => ({ status: 500, body: {} })]);
    const m = monitor(down.fetcher, errors, { maxRetries: 2 });
    m.recordPrediction({ prediction: { y: 1 } });
    await m.flush();
    expect(down.calls).toHaveLength(3);
    expect(m.stats.dropped).toBe(1);
    expect(errors[0]).toMatchObject({ kind: 'dropped', message: expect.stringMatching(/gave up on 1 line\(s\) after 3 tries: the server answered 500/) });

    const denied = server([() => ({ status: 403, body: { message: 'You may not predict' } })]);
    const errors2: MonitorError[] = [];
    const m2 = monitor(denied.fetcher, errors2);
    m2.recordPrediction({ prediction: { y: 1 } });
    await m2.flush();
    expect(denied.calls).toHaveLength(1);
    expect(errors2[0]).toMatchObject({ kind: 'rejected', message: expect.stringMatching(/403: You may not predict/) });
  });

  it('sends again the lines after the point where the server stopped reading (413)', async () => {
    const { calls, fetcher } = server([() => ({ status: 413, body: { accepted: 1, rejected: [], truncatedAtLine: 2 } }), ok]);
    const m = monitor(fetcher);
    for (const y of [1, 2, 3]) m.recordPrediction({ prediction: { y } });
    await m.flush();
    expect(calls[1]!.lines).toEqual([{ prediction: { y: 2 } }, { prediction: { y: 3 } }]);
    expect(m.stats.sent).toBe(3);
  });

  it('refuses records beyond maxQueued and after close, and bad options at once', async () => {
    const { fetcher } = server([ok]);
    const m = monitor(fetcher, [], { maxQueued: 2 });
    expect([m.recordPrediction({ prediction: { y: 1 } }), m.recordPrediction({ prediction: { y: 2 } }), m.recordPrediction({ prediction: { y: 3 } })]).toEqual([true, true, false]);
    await m.close();
    expect(m.recordPrediction({ prediction: { y: 4 } })).toBe(false);
    expect(() => new ModelportMonitor({ url: 'mp.test', token: 't', deploymentId: 'd' })).toThrow(/http:\/\/ or https:\/\//);
  });
});
