import {
  checkSessionSettings,
  DEFAULT_SESSION_SETTINGS,
  OnnxSettingsError,
  sessionDefaultsFromEnv,
  sessionSettingsFromConfig,
  toSessionOptions,
} from './onnx-settings';

describe('session defaults from the environment', () => {
  it('keeps the built-in defaults when nothing is set (or set empty)', () => {
    expect(sessionDefaultsFromEnv({})).toEqual(DEFAULT_SESSION_SETTINGS);
    expect(sessionDefaultsFromEnv({ MODELPORT_ONNX_INTRA_OP_THREADS: '  ' })).toEqual(DEFAULT_SESSION_SETTINGS);
    expect(DEFAULT_SESSION_SETTINGS).toEqual({
      intraOpThreads: 0,
      interOpThreads: 0,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
  });

  it('reads every MODELPORT_ONNX_* variable', () => {
    expect(
      sessionDefaultsFromEnv({
        MODELPORT_ONNX_INTRA_OP_THREADS: '4',
        MODELPORT_ONNX_INTER_OP_THREADS: ' 2 ',
        MODELPORT_ONNX_GRAPH_OPTIMIZATION_LEVEL: 'Extended',
        MODELPORT_ONNX_EXECUTION_MODE: 'parallel',
        UNRELATED: 'x',
      }),
    ).toEqual({ intraOpThreads: 4, interOpThreads: 2, graphOptimizationLevel: 'extended', executionMode: 'parallel' });
  });

  it('names every bad variable and what it allows', () => {
    let error: unknown;
    try {
      sessionDefaultsFromEnv({ MODELPORT_ONNX_INTRA_OP_THREADS: '-1', MODELPORT_ONNX_GRAPH_OPTIMIZATION_LEVEL: 'max' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OnnxSettingsError);
    expect((error as OnnxSettingsError).problems).toEqual([
      'MODELPORT_ONNX_INTRA_OP_THREADS must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got "-1"',
      'MODELPORT_ONNX_GRAPH_OPTIMIZATION_LEVEL must be one of disabled, basic, extended, layout, all; got "max"',
    ]);
  });
});

describe('session settings from a deployment config', () => {
  const defaults = { ...DEFAULT_SESSION_SETTINGS, intraOpThreads: 3 };

  it('overrides the defaults key by key', () => {
    expect(sessionSettingsFromConfig({}, defaults)).toEqual(defaults);
    expect(sessionSettingsFromConfig({ inter_op_threads: '2', execution_mode: 'parallel' }, defaults)).toEqual({
      intraOpThreads: 3,
      interOpThreads: 2,
      graphOptimizationLevel: 'all',
      executionMode: 'parallel',
    });
    expect(sessionSettingsFromConfig({ intra_op_threads: '0', graph_optimization_level: 'disabled' }, defaults)).toMatchObject({
      intraOpThreads: 0,
      graphOptimizationLevel: 'disabled',
    });
  });

  it.each([
    ['intra_op_threads', 'two', 'intra_op_threads must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got "two"'],
    ['intra_op_threads', '1.5', 'intra_op_threads must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got "1.5"'],
    ['inter_op_threads', '1025', 'inter_op_threads must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got "1025"'],
    ['inter_op_threads', '', 'inter_op_threads must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got ""'],
    ['graph_optimization_level', '99', 'graph_optimization_level must be one of disabled, basic, extended, layout, all; got "99"'],
    ['execution_mode', 'async', 'execution_mode must be one of sequential, parallel; got "async"'],
  ])('refuses %s = "%s"', (key, value, message) => {
    expect(() => sessionSettingsFromConfig({ [key]: value })).toThrow(new OnnxSettingsError([message]));
  });

  it('refuses an unknown key, naming the known ones', () => {
    expect(() => sessionSettingsFromConfig({ intra_op_thread: '2', intra_op_threads: '2' })).toThrow(
      'unknown config key "intra_op_thread"; runtime-onnx understands intra_op_threads, inter_op_threads, graph_optimization_level, execution_mode',
    );
    expect(() => sessionSettingsFromConfig({ constructor: '1' })).toThrow(/unknown config key "constructor"/);
  });
});

describe('settings given in code', () => {
  it('are checked with the same rules', () => {
    expect(checkSessionSettings(DEFAULT_SESSION_SETTINGS)).toEqual(DEFAULT_SESSION_SETTINGS);
    expect(() => checkSessionSettings({ ...DEFAULT_SESSION_SETTINGS, intraOpThreads: -2 })).toThrow(
      'option intraOpThreads must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got "-2"',
    );
  });
});

describe('toSessionOptions', () => {
  it('leaves thread counts of 0 to ONNX Runtime and passes the rest', () => {
    expect(toSessionOptions(DEFAULT_SESSION_SETTINGS)).toEqual({
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    expect(
      toSessionOptions({ intraOpThreads: 2, interOpThreads: 3, graphOptimizationLevel: 'basic', executionMode: 'parallel' }),
    ).toEqual({
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'basic',
      executionMode: 'parallel',
      intraOpNumThreads: 2,
      interOpNumThreads: 3,
    });
  });
});
