import type { PluginInfo__Output, RegisterRequest__Output } from '@modelport/proto';
import { parseHostPort, pluginInfoDifferences, registerRequestProblems } from './registration.validation';

const info = (over: Partial<PluginInfo__Output> = {}): PluginInfo__Output => ({
  id: 'runtime-onnx',
  version: '1.2.0',
  protocol_version: 1,
  formats: [{ name: 'onnx', priority: 10 }],
  capabilities: { raw_contents: true, batching: false, infer_stream: false, max_message_bytes: 0 },
  details: {},
  ...over,
});

const request = (over: Partial<RegisterRequest__Output> = {}): RegisterRequest__Output => ({
  registration_token: 't',
  address: 'plugin.internal:7001',
  info: info(),
  call_secret: 's'.repeat(32),
  ...over,
});

describe('parseHostPort', () => {
  it.each([
    ['plugin.internal:7001', 'plugin.internal', 7001],
    ['10.0.0.5:50051', '10.0.0.5', 50051],
    ['[::1]:7001', '::1', 7001],
    ['localhost:1', 'localhost', 1],
  ])('accepts %s', (address, host, port) => {
    expect(parseHostPort(address)).toEqual({ host, port });
  });

  it.each([
    ['plugin.internal', /not host:port/],
    ['unix:/tmp/x.sock', /not host:port|invalid host/],
    ['host:0', /outside 1-65535/],
    ['host:70000', /outside 1-65535/],
    ['bad_host!:80', /invalid host/],
    ['0.0.0.0:7001', /listen-on-all address/],
    ['[::]:7001', /listen-on-all address/],
    ['::1:7001', /not host:port/],
  ])('refuses %s', (address, error) => {
    const result = parseHostPort(address);
    expect('error' in result && result.error).toMatch(error);
  });
});

describe('registerRequestProblems', () => {
  it('accepts a complete request', () => {
    expect(registerRequestProblems(request(), [1])).toEqual([]);
  });

  it('names every problem of a bad request', () => {
    const problems = registerRequestProblems(
      request({ address: '0.0.0.0:1', call_secret: 'short', info: info({ id: 'Bad Id', version: '', protocol_version: 2, formats: [] }) }),
      [1],
    );
    expect(problems).toEqual([
      expect.stringMatching(/listen-on-all/),
      expect.stringMatching(/call_secret must be at least 16 characters/),
      expect.stringMatching(/info.id "Bad Id"/),
      expect.stringMatching(/info.version is required/),
      expect.stringMatching(/protocol_version 2 is not supported; this core speaks 1/),
      expect.stringMatching(/at least one model format/),
    ]);
  });

  it('requires info, lower-case formats and no duplicates', () => {
    expect(registerRequestProblems(request({ info: null }), [1])).toEqual([expect.stringMatching(/info is required/)]);
    expect(
      registerRequestProblems(
        request({
          info: info({
            formats: [
              { name: 'ONNX', priority: 1 },
              { name: 'tf', priority: 1 },
              { name: 'tf', priority: 2 },
            ],
          }),
        }),
        [1],
      ),
    ).toEqual([expect.stringMatching(/"ONNX" must be lower case/), expect.stringMatching(/"tf" is listed twice/)]);
  });
});

describe('pluginInfoDifferences', () => {
  it('ignores format order, details and a missing capabilities message equal to defaults', () => {
    const a = info({ formats: [{ name: 'a', priority: 1 }, { name: 'b', priority: 2 }], capabilities: null, details: { x: '1' } });
    const b = info({ formats: [{ name: 'b', priority: 2 }, { name: 'a', priority: 1 }], capabilities: { raw_contents: false, batching: false, infer_stream: false, max_message_bytes: 0 } });
    expect(pluginInfoDifferences(a, b)).toEqual([]);
  });

  it('lists each field that differs', () => {
    const differences = pluginInfoDifferences(info(), info({ version: '1.3.0', formats: [{ name: 'onnx', priority: 5 }] }));
    expect(differences).toEqual([
      'version: registered "1.2.0", GetInfo answered "1.3.0"',
      'formats: registered "onnx:10", GetInfo answered "onnx:5"',
    ]);
  });
});
