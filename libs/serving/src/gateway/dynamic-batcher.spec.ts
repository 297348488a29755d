import type { Tensor } from '@modelport/plugin-sdk';
import type { Route } from '../deployments/domain/route-table';
import { DynamicBatcher } from './dynamic-batcher';
import type { InferCall } from './gateway.service';

const route = { deploymentId: 'd1', modelKey: 'k1', maxBatchSize: 4, maxBatchDelayMs: 50 } as Route;

const call = (rows: number[][], id = ''): InferCall => ({
  id,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [rows.length, 2], data: Float32Array.from(rows.flat()) }],
  outputs: [],
  parameters: {},
});

/** A fake plugin call: y = x0 + x1 per row; resolves when `release` is called, recording each batch's row count. */
function fakePlugin() {
  const batches: number[] = [];
  const waiting: (() => void)[] = [];
  const run = (inputs: readonly Tensor[]) => {
    const x = inputs[0]!.data as Float32Array;
    const rows = inputs[0]!.shape[0]!;
    batches.push(rows);
    const y = new Float32Array(rows).map((_, r) => x[r * 2]! + x[r * 2 + 1]!);
    return new Promise<Tensor[]>((resolve) => waiting.push(() => resolve([{ name: 'y', datatype: 'FP32', shape: [rows, 1], data: y }])));
  };
  return { run, batches, release: () => waiting.splice(0).forEach((r) => r()) };
}

const values = (t: Tensor[]) => Array.from(t[0]!.data as Float32Array);

describe('DynamicBatcher', () => {
  it('sends a lone request at once, without waiting for the batch delay', async () => {
    const plugin = fakePlugin();
    const batcher = new DynamicBatcher();
    const answer = batcher.submit(route, call([[1, 2]]), plugin.run);
    expect(plugin.batches).toEqual([1]);
    plugin.release();
    expect(values(await answer)).toEqual([3]);
    expect(batcher.stats()).toEqual({ batches: 0, batchedRequests: 0 });
  });

  it('gathers requests that arrive while one runs, sends them as one call when it ends, and gives each its own rows', async () => {
    const plugin = fakePlugin();
    const batcher = new DynamicBatcher();
    const first = batcher.submit(route, call([[1, 1]]), plugin.run);
    const later = [batcher.submit(route, call([[2, 3]]), plugin.run), batcher.submit(route, call([[10, 20]]), plugin.run)];
    expect(plugin.batches).toEqual([1]);
    plugin.release();
    expect(values(await first)).toEqual([2]);
    await new Promise((r) => setImmediate(r));
    expect(plugin.batches).toEqual([1, 2]);
    plugin.release();
    expect((await Promise.all(later)).map(values)).toEqual([[5], [30]]);
    expect(batcher.stats()).toEqual({ batches: 1, batchedRequests: 2 });
  });

  it('sends a batch as soon as it reaches maxBatchSize rows', async () => {
    const plugin = fakePlugin();
    const batcher = new DynamicBatcher();
    const busy = batcher.submit(route, call([[0, 0]]), plugin.run);
    const answers = [call([[1, 0], [2, 0]]), call([[3, 0], [4, 0]])].map((c) => batcher.submit(route, c, plugin.run));
    expect(plugin.batches).toEqual([1, 4]);
    plugin.release();
    await busy;
    expect((await Promise.all(answers)).map(values)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('sends a gathered batch after maxBatchDelayMs even while the first call is still running', async () => {
    const plugin = fakePlugin();
    const batcher = new DynamicBatcher();
    void batcher.submit({ ...route, maxBatchDelayMs: 5 } as Route, call([[0, 0]]), plugin.run);
    void batcher.submit({ ...route, maxBatchDelayMs: 5 } as Route, call([[1, 1]]), plugin.run);
    expect(plugin.batches).toEqual([1]);
    await new Promise((r) => setTimeout(r, 30));
    expect(plugin.batches).toEqual([1, 1]);
    plugin.release();
  });

  it('fails every request of a batch whose call fails, and refuses outputs that cannot be split by rows', async () => {
    const batcher = new DynamicBatcher();
    let release!: () => void;
    const hold = new Promise<Tensor[]>((resolve) => (release = () => resolve([])));
    void batcher.submit(route, call([[0, 0]]), () => hold);
    const failing = [call([[1, 1]]), call([[2, 2]])].map((c) => batcher.submit(route, c, () => Promise.reject(new Error('plugin died'))));
    release();
    for (const f of failing) await expect(f).rejects.toThrow('plugin died');

    const whole = new DynamicBatcher();
    let go!: () => void;
    void whole.submit(route, call([[0, 0]]), () => new Promise<Tensor[]>((resolve) => (go = () => resolve([]))));
    const odd = [call([[1, 1]]), call([[2, 2]])].map((c) =>
      whole.submit(route, c, async () => [{ name: 'total', datatype: 'FP32', shape: [1], data: Float32Array.of(6) }]),
    );
    go();
    for (const o of odd) await expect(o).rejects.toThrow(/first dimension 1 for a batch of 2 rows/);
  });

  it('never joins requests whose rows have different shapes', async () => {
    const plugin = fakePlugin();
    const batcher = new DynamicBatcher();
    void batcher.submit(route, call([[0, 0]]), plugin.run);
    const three: InferCall = { id: '', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: Float32Array.of(1, 2, 3) }], outputs: [], parameters: {} };
    void batcher.submit(route, three, plugin.run);
    // A different layout is a different key: nothing of its kind runs, so it goes at once.
    expect(plugin.batches).toEqual([1, 1]);
    plugin.release();
  });
});
