import { PluginHostError, PluginHostErrorCode } from './plugin-host.errors';
import { type PluginSummary, selectPlugin } from './plugin-selection';

const plugin = (name: string, formats: [string, number][], over: Partial<PluginSummary> = {}): PluginSummary => ({
  name,
  kind: 'local',
  id: name,
  version: '1.0.0',
  protocolVersion: 1,
  formats: formats.map(([f, priority]) => ({ name: f, priority })),
  capabilities: { rawContents: true, batching: false, maxMessageBytes: 0, inferStream: false },
  details: {},
  health: 'SERVING',
  address: `unix:/tmp/${name}.sock`,
  pid: 1,
  restarts: 0,
  lastError: null,
  loadedModels: [],
  registrationId: null,
  ...over,
});

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(PluginHostError);
    return (err as PluginHostError).code;
  }
  throw new Error('expected an error');
}

describe('selectPlugin', () => {
  const onnxLow = plugin('onnx-low', [['onnx', 1]]);
  const onnxHigh = plugin('onnx-high', [['onnx', 10], ['tflite', 1]]);
  const sklearn = plugin('sk', [['sklearn', 0]]);

  it('picks the healthy plugin with the highest priority for the format, whatever the case of the name', () => {
    expect(selectPlugin([onnxLow, onnxHigh, sklearn], 'onnx').name).toBe('onnx-high');
    expect(selectPlugin([onnxLow, onnxHigh, sklearn], 'ONNX').name).toBe('onnx-high');
  });

  it('skips plugins that are not serving', () => {
    expect(selectPlugin([onnxLow, { ...onnxHigh, health: 'RESTARTING' }], 'onnx').name).toBe('onnx-low');
  });

  it('breaks priority ties by the fewest loaded models, then by name', () => {
    const a = plugin('a', [['onnx', 5]], { loadedModels: ['m1', 'm2'] });
    const b = plugin('b', [['onnx', 5]], { loadedModels: ['m3'] });
    const c = plugin('c', [['onnx', 5]], { loadedModels: ['m4'] });
    expect(selectPlugin([a, c, b], 'onnx').name).toBe('b');
  });

  it('returns the named plugin when it is healthy and serves the format, even with a lower priority', () => {
    expect(selectPlugin([onnxLow, onnxHigh], 'onnx', 'onnx-low').name).toBe('onnx-low');
  });

  it('says why the named plugin cannot be used', () => {
    expect(codeOf(() => selectPlugin([onnxLow], 'onnx', 'missing'))).toBe(PluginHostErrorCode.PLUGIN_NOT_FOUND);
    expect(codeOf(() => selectPlugin([onnxLow], 'sklearn', 'onnx-low'))).toBe(PluginHostErrorCode.PLUGIN_FORMAT_NOT_SERVED);
    expect(codeOf(() => selectPlugin([{ ...onnxLow, health: 'DOWN', lastError: 'exited' }], 'onnx', 'onnx-low'))).toBe(
      PluginHostErrorCode.PLUGIN_UNAVAILABLE,
    );
    expect(() => selectPlugin([{ ...onnxLow, health: 'DOWN', lastError: 'exited (SIGKILL)' }], 'onnx', 'onnx-low')).toThrow(
      'Plugin "onnx-low" is not serving right now: onnx-low (DOWN: exited (SIGKILL)).',
    );
  });

  it('tells no plugin serving a format apart from none being healthy', () => {
    expect(codeOf(() => selectPlugin([onnxLow, sklearn], 'pytorch'))).toBe(PluginHostErrorCode.NO_PLUGIN_FOR_FORMAT);
    expect(() => selectPlugin([onnxLow], 'pytorch')).toThrow('No plugin serves model format "pytorch".');
    expect(codeOf(() => selectPlugin([{ ...onnxLow, health: 'NOT_SERVING' }, sklearn], 'onnx'))).toBe(PluginHostErrorCode.PLUGIN_UNAVAILABLE);
    expect(() => selectPlugin([{ ...onnxLow, health: 'NOT_SERVING' }], 'onnx')).toThrow('No plugin serving model format "onnx" is healthy right now: onnx-low (NOT_SERVING).');
  });

  it('mentions plugins that have not started yet when no plugin serves the format', () => {
    const starting = plugin('gpu', [], { id: null, health: 'STARTING' });
    expect(() => selectPlugin([starting], 'onnx')).toThrow(/not started yet are not counted: gpu \(STARTING\)/);
  });

  it('gives errors the kinds the API maps to statuses', () => {
    try {
      selectPlugin([], 'onnx');
    } catch (err) {
      expect((err as PluginHostError).kind).toBe('NOT_FOUND');
    }
    try {
      selectPlugin([{ ...onnxLow, health: 'DOWN' }], 'onnx');
    } catch (err) {
      expect((err as PluginHostError).kind).toBe('UNAVAILABLE');
    }
    expect.assertions(2);
  });
});
