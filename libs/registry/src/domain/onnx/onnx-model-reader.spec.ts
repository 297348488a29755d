import { Readable } from 'node:stream';
// The brief asks for a relative import: tools/sample-models has no @modelport/* path alias yet.
import {
  concatBytes,
  DataType,
  encodeOnnxModel,
  floatTensor,
  GraphInit,
  irisClassifierModel,
  largeInitializerModelChunks,
  largeInitializerModelLayout,
  legacyInitializersAsInputsModel,
  linearRegressionModel,
  ModelInit,
  node,
  SAMPLE_PRODUCER_NAME,
  SAMPLE_PRODUCER_VERSION,
  tensorType,
  TypeProtoInit,
  valueInfo,
} from '@modelport/sample-models';
import { OnnxModelInfo, readOnnxModelInfo, ReadOnnxModelInfoOptions } from './onnx-model-reader';
import { OnnxParseError, OnnxParseErrorCode } from './onnx.errors';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A byte stream (not object mode) that pushes the given chunks one read() at a time, like an upload. */
function pushStream(chunks: Iterable<Uint8Array>): Readable {
  const iterator = chunks[Symbol.iterator]();
  return new Readable({
    read() {
      const next = iterator.next();
      this.push(next.done ? null : next.value);
    },
  });
}

function* split(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function read(bytes: Uint8Array, chunkSize = 64 * KiB, options?: ReadOnnxModelInfoOptions): Promise<OnnxModelInfo> {
  return readOnnxModelInfo(pushStream(split(bytes, chunkSize)), options);
}

async function rejection(promise: Promise<unknown>): Promise<OnnxParseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OnnxParseError);
  return error as OnnxParseError;
}

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A small valid model; `graph` and `model` override parts of it. */
function customModel(graph: GraphInit = {}, model: ModelInit = {}): Uint8Array {
  return encodeOnnxModel({
    ir_version: 8,
    producer_name: 'spec',
    graph: {
      name: 'custom',
      node: [node('Identity', ['x'], ['y'])],
      input: [valueInfo('x', tensorType('FLOAT', [2]))],
      output: [valueInfo('y', tensorType('FLOAT', [2]))],
      ...graph,
    },
    opset_import: [{ domain: '', version: 13 }],
    ...model,
  });
}

describe('readOnnxModelInfo: sample models', () => {
  it('reads the linear regression model exactly', async () => {
    expect(await read(linearRegressionModel())).toEqual({
      irVersion: 8,
      opsets: [{ domain: '', version: 13 }],
      producerName: SAMPLE_PRODUCER_NAME,
      producerVersion: SAMPLE_PRODUCER_VERSION,
      graphName: 'linear_regression',
      signature: {
        inputs: [{ name: 'features', elementType: 'FLOAT', shape: ['batch', 4], kind: 'tensor' }],
        outputs: [{ name: 'prediction', elementType: 'FLOAT', shape: ['batch', 1], kind: 'tensor' }],
      },
    });
  });

  it('reads the iris classifier exactly, with both opset domains', async () => {
    expect(await read(irisClassifierModel())).toEqual({
      irVersion: 8,
      opsets: [
        { domain: '', version: 13 },
        { domain: 'ai.onnx.ml', version: 1 },
      ],
      producerName: SAMPLE_PRODUCER_NAME,
      producerVersion: SAMPLE_PRODUCER_VERSION,
      graphName: 'iris_classifier',
      signature: {
        inputs: [{ name: 'features', elementType: 'FLOAT', shape: ['batch', 4], kind: 'tensor' }],
        outputs: [
          { name: 'label', elementType: 'INT64', shape: ['batch'], kind: 'tensor' },
          { name: 'probabilities', elementType: 'FLOAT', shape: ['batch', 3], kind: 'tensor' },
        ],
      },
    });
  });

  it('describes a ZipMap output seq(map(int64, tensor(float))) as a sequence of FLOAT', async () => {
    const info = await read(irisClassifierModel({ zipMap: true }));
    expect(info.signature.outputs[1]).toEqual({
      name: 'probabilities',
      elementType: 'FLOAT',
      shape: null,
      kind: 'sequence',
    });
  });

  it('drops old-style inputs that are initializers (IR version 3 lists weights as inputs)', async () => {
    const info = await read(legacyInitializersAsInputsModel());
    expect(info.irVersion).toBe(3);
    expect(info.opsets).toEqual([{ domain: '', version: 9 }]);
    expect(info.signature.inputs).toEqual([
      { name: 'features', elementType: 'FLOAT', shape: ['batch', 4], kind: 'tensor' },
    ]);
    expect(info.signature.outputs.map((o) => o.name)).toEqual(['prediction']);
  });

  it('drops inputs that are sparse initializers too', async () => {
    const values = floatTensor('table', [1], [1]);
    const indices = { name: 'table_indices', dims: [1], data_type: DataType.INT64, int64_data: [0] };
    const bytes = customModel({
      sparse_initializer: [{ values, indices, dims: [4] }],
      input: [valueInfo('x', tensorType('FLOAT', [2])), valueInfo('table', tensorType('FLOAT', [4]))],
    });
    expect((await read(bytes)).signature.inputs.map((i) => i.name)).toEqual(['x']);
  });
});

describe('readOnnxModelInfo: chunk boundaries', () => {
  const models: [string, Uint8Array][] = [
    ['linear regression', linearRegressionModel()],
    ['iris classifier', irisClassifierModel()],
    ['iris classifier with ZipMap', irisClassifierModel({ zipMap: true })],
    ['legacy model', legacyInitializersAsInputsModel()],
  ];

  it.each(models)('reads the %s fed one byte at a time', async (_name, bytes) => {
    expect(await read(bytes, 1)).toEqual(await read(bytes));
  });

  it.each(models)('reads the %s split in two at every byte', async (_name, bytes) => {
    const expected = await read(bytes);
    for (let cut = 1; cut < bytes.length; cut++) {
      const info = await readOnnxModelInfo(pushStream([bytes.subarray(0, cut), bytes.subarray(cut)]));
      expect(info).toEqual(expected);
    }
  });

  it('accepts any async iterable of bytes, not only a Readable', async () => {
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield* split(linearRegressionModel(), 5);
    }
    expect((await readOnnxModelInfo(chunks())).graphName).toBe('linear_regression');
  });
});

describe('readOnnxModelInfo: bounded memory', () => {
  /** Heap plus ArrayBuffer memory above the level when the probe was made, sampled on every chunk. */
  function memoryProbe() {
    const usage = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const base = usage();
    // peakGrowth is measured from the start (an upper bound: garbage collected meanwhile only lowers it);
    // retainedGrowth from the lowest level seen (a lower bound: garbage left by earlier tests and collected
    // during the run cannot hide memory that is really kept).
    const probe = { bytes: 0, peakGrowth: 0, retainedGrowth: 0 };
    let low = base;
    const sample = () => {
      const now = usage();
      low = Math.min(low, now);
      probe.peakGrowth = Math.max(probe.peakGrowth, now - base);
      probe.retainedGrowth = Math.max(probe.retainedGrowth, now - low);
    };
    function* watch(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
      for (const chunk of chunks) {
        probe.bytes += chunk.length;
        sample();
        yield chunk;
      }
      sample();
    }
    return { probe, watch };
  }

  const options = { initializerBytes: 64 * MiB, chunkBytes: 64 * KiB };

  it('reads a model with a 64 MiB initializer pushed in 64 KiB chunks while memory grows far less', async () => {
    const { probe, watch } = memoryProbe();
    const info = await readOnnxModelInfo(pushStream(watch(largeInitializerModelChunks(options))));

    expect(probe.bytes).toBeGreaterThan(64 * MiB);
    expect(probe.peakGrowth).toBeLessThan(16 * MiB);
    const { vocabularySize, embeddingDim } = largeInitializerModelLayout(options);
    expect(vocabularySize * embeddingDim * 4).toBe(64 * MiB);
    expect(info.signature).toEqual({
      inputs: [{ name: 'token_ids', elementType: 'INT64', shape: ['batch', 'sequence'], kind: 'tensor' }],
      outputs: [
        { name: 'embeddings', elementType: 'FLOAT', shape: ['batch', 'sequence', embeddingDim], kind: 'tensor' },
      ],
    });
  });

  it('(control) the same probe sees the growth when the weights are buffered', () => {
    const { probe, watch } = memoryProbe();
    const kept: Uint8Array[] = [];
    for (const chunk of watch(largeInitializerModelChunks(options))) kept.push(chunk.slice());
    expect(kept.length).toBeGreaterThan(1024);
    expect(probe.retainedGrowth).toBeGreaterThan(48 * MiB);
  });

  it('streams past a 4.5 GiB initializer, whose length prefixes need more than 32 bits', async () => {
    const { probe, watch } = memoryProbe();
    const chunks = largeInitializerModelChunks({ initializerBytes: 4.5 * 1024 * MiB, chunkBytes: MiB });
    const info = await readOnnxModelInfo(pushStream(watch(chunks)));
    expect(probe.bytes).toBeGreaterThan(4.5 * 1024 * MiB);
    // Bounded, not proportional: 4.5 GiB pass through in well under 1% of their size. The margin
    // is wider than for 64 MiB because the garbage collector runs less predictably over 4,608
    // chunks when other test files share the machine (16.8 MiB was seen once under load).
    expect(probe.peakGrowth).toBeLessThan(32 * MiB);
    expect(info.signature.inputs.map((i) => i.name)).toEqual(['token_ids']);
  });

  it('does not count skipped weights against maxMetadataBytes', async () => {
    const chunks = largeInitializerModelChunks({ initializerBytes: 8 * MiB });
    const info = await readOnnxModelInfo(pushStream(chunks), { maxMetadataBytes: 4 * KiB });
    expect(info.graphName).toBe('embedding_lookup');
  });
});

describe('readOnnxModelInfo: types and shapes', () => {
  it('reads unknown dims, unknown rank, scalars, symbolic dims and every container kind', async () => {
    const typed = (name: string, type: TypeProtoInit) => valueInfo(name, type);
    const bytes = customModel({
      input: [
        typed('unknown_dim', tensorType('FLOAT16', ['batch', null, 3])),
        typed('unknown_rank', tensorType('BFLOAT16')),
        typed('scalar', tensorType('BOOL', [])),
        typed('text', tensorType('STRING', ['n'])),
        typed('empty_param', { tensor_type: { elem_type: DataType.DOUBLE, shape: { dim: [{ dim_param: '' }] } } }),
        typed('pixels', tensorType('UINT8', [1, 224, 224, 3])),
      ],
      output: [
        typed('seq', { sequence_type: { elem_type: tensorType('INT32', ['n', 2]) } }),
        typed('maybe', { optional_type: { elem_type: tensorType('INT8', [5]) } }),
        typed('dict', { map_type: { key_type: DataType.STRING, value_type: tensorType('DOUBLE') } }),
        typed('sparse', { sparse_tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_value: 10 }, {}] } } }),
        typed('future_type', { tensor_type: { elem_type: 99 } }),
        typed('fp8', { tensor_type: { elem_type: 17, shape: { dim: [{ dim_value: 0 }] } } }),
      ],
    });
    const { inputs, outputs } = (await read(bytes)).signature;
    expect(inputs).toEqual([
      { name: 'unknown_dim', elementType: 'FLOAT16', shape: ['batch', null, 3], kind: 'tensor' },
      { name: 'unknown_rank', elementType: 'BFLOAT16', shape: null, kind: 'tensor' },
      { name: 'scalar', elementType: 'BOOL', shape: [], kind: 'tensor' },
      { name: 'text', elementType: 'STRING', shape: ['n'], kind: 'tensor' },
      { name: 'empty_param', elementType: 'DOUBLE', shape: [null], kind: 'tensor' },
      { name: 'pixels', elementType: 'UINT8', shape: [1, 224, 224, 3], kind: 'tensor' },
    ]);
    expect(outputs).toEqual([
      { name: 'seq', elementType: 'INT32', shape: ['n', 2], kind: 'sequence' },
      { name: 'maybe', elementType: 'INT8', shape: [5], kind: 'optional' },
      { name: 'dict', elementType: 'DOUBLE', shape: null, kind: 'map' },
      { name: 'sparse', elementType: 'FLOAT', shape: [10, null], kind: 'sparse_tensor' },
      { name: 'future_type', elementType: 'DATA_TYPE_99', shape: null, kind: 'tensor' },
      { name: 'fp8', elementType: 'FLOAT8E4M3FN', shape: [0], kind: 'tensor' },
    ]);
  });

  it('skips fields it does not need: nodes, value_info, doc strings, metadata, model domain and version', async () => {
    const bytes = customModel(
      { doc_string: 'graph docs', value_info: [valueInfo('tmp', tensorType('FLOAT', [2]))] },
      { doc_string: 'model docs', domain: 'com.example', model_version: 42, metadata_props: [{ key: 'k', value: 'v' }] },
    );
    const info = await read(bytes);
    expect(info.producerName).toBe('spec');
    expect(info.signature.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('accepts fields in any order, as protobuf allows', async () => {
    const parts = [
      encodeOnnxModel({ opset_import: [{ domain: 'ai.onnx', version: 17 }] }),
      encodeOnnxModel({ graph: { output: [valueInfo('y', tensorType('FLOAT', [1]))] } }),
      encodeOnnxModel({ producer_version: '2.1' }),
      encodeOnnxModel({ graph: { input: [valueInfo('w', tensorType('FLOAT', [1]))], name: 'late' } }),
      encodeOnnxModel({ graph: { initializer: [floatTensor('w', [1], [0.5])] } }),
      encodeOnnxModel({ ir_version: 9 }),
    ];
    expect(await read(concatBytes(parts), 3)).toEqual({
      irVersion: 9,
      opsets: [{ domain: 'ai.onnx', version: 17 }],
      producerName: null,
      producerVersion: '2.1',
      graphName: 'late',
      signature: { inputs: [], outputs: [{ name: 'y', elementType: 'FLOAT', shape: [1], kind: 'tensor' }] },
    });
  });
});

describe('readOnnxModelInfo: rejections', () => {
  it('rejects an empty file', async () => {
    const error = await rejection(read(new Uint8Array(0)));
    expect(error.code).toBe(OnnxParseErrorCode.EMPTY_FILE);
    expect(error.message).toMatch(/file is empty \(0 bytes\)/);
  });

  it('rejects every strict prefix of a model; a cut inside a field is reported as truncated', async () => {
    const bytes = linearRegressionModel();
    for (let length = 1; length < bytes.length; length++) {
      await rejection(read(bytes.subarray(0, length), 7));
    }
    const error = await rejection(read(bytes.subarray(0, bytes.length - 1)));
    expect(error.code).toBe(OnnxParseErrorCode.TRUNCATED);
    expect(error.message).toContain(`The file ends after ${bytes.length - 1} bytes, in the middle of opset_import #1`);
    expect(error.message).toContain('upload the complete file again');
  });

  it('reports a stream cut off inside the weights as truncated in that initializer', async () => {
    const chunks = [...largeInitializerModelChunks({ initializerBytes: 4 * MiB, chunkBytes: 64 * KiB })];
    const error = await rejection(readOnnxModelInfo(pushStream(chunks.slice(0, 20))));
    expect(error.code).toBe(OnnxParseErrorCode.TRUNCATED);
    expect(error.message).toContain('in the middle of graph initializer #1');
  });

  it('rejects a known field with the wrong wire type', async () => {
    // ir_version (field 1) written as a length-delimited field instead of a varint.
    const bytes = concatBytes([Uint8Array.from([0x0a, 0x01, 0x08]), linearRegressionModel()]);
    const error = await rejection(read(bytes));
    expect(error.code).toBe(OnnxParseErrorCode.MALFORMED);
    expect(error.message).toContain('field 1 has wire type 2 (LENGTH_DELIMITED) where ONNX uses 0 (VARINT)');
    expect(error.message).toContain('ModelProto.ir_version');
  });

  it('rejects a graph written as a varint', async () => {
    const bytes = concatBytes([encodeOnnxModel({ ir_version: 8 }), Uint8Array.from([(7 << 3) | 0, 1])]);
    const error = await rejection(read(bytes));
    expect(error.code).toBe(OnnxParseErrorCode.MALFORMED);
    expect(error.message).toContain('ModelProto.graph');
  });

  it('rejects a field longer than the message that contains it', async () => {
    // A graph of 4 bytes whose name claims 10.
    const graph = Uint8Array.from([(7 << 3) | 2, 4, (2 << 3) | 2, 10, 0x61, 0x62]);
    const error = await rejection(read(concatBytes([encodeOnnxModel({ ir_version: 8 }), graph])));
    expect(error.code).toBe(OnnxParseErrorCode.MALFORMED);
    expect(error.message).toContain('a field is longer than the message that contains it');
  });

  it('rejects names that are not valid UTF-8', async () => {
    const bytes = concatBytes([Uint8Array.from([(2 << 3) | 2, 2, 0xc3, 0x28]), linearRegressionModel()]);
    const error = await rejection(read(bytes));
    expect(error.code).toBe(OnnxParseErrorCode.MALFORMED);
    expect(error.message).toContain('not valid UTF-8');
  });

  const otherFormats: [string, Uint8Array, RegExp][] = [
    ['plain text', bytesOf('This is a README, not a model.\nIt has two lines.\n'), /looks like a text file/],
    ['JSON', bytesOf('{"model": "resnet", "weights": [0.1, 0.2, 0.3]}'), /looks like a JSON document/],
    ['CSV', bytesOf('sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n'), /text file/],
    ['a ZIP archive', concatBytes([bytesOf('PK\x03\x04'), new Uint8Array(200).fill(0x11)]), /ZIP archive/],
    [
      'a pickle',
      concatBytes([Uint8Array.from([0x80, 0x04, 0x95, 0x35, 0, 0, 0, 0, 0, 0, 0]), bytesOf('\x8c\x07sklearn')]),
      /Python pickle/,
    ],
    ['gzip', Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6]), /gzip-compressed/],
    ['HDF5', concatBytes([Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), new Uint8Array(64)]), /HDF5/],
  ];

  it.each(otherFormats)('rejects %s, naming the format', async (_label, bytes, format) => {
    const error = await rejection(read(bytes, 16));
    expect(error.code).toBe(OnnxParseErrorCode.NOT_ONNX);
    expect(error.message).toMatch(/^The file is not an ONNX model: it looks like /);
    expect(error.message).toMatch(format);
    expect(error.message).toContain('register it with an explicit format if it is not ONNX');
  });

  it('rejects random bytes (seeded, 600 files from 1 byte to 64 KiB)', async () => {
    let seed = 0x5eed;
    const random32 = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    };
    const codes = new Set<OnnxParseErrorCode>();
    for (let i = 0; i < 600; i++) {
      const length = i < 500 ? 1 + (random32() % 2048) : 64 * KiB;
      const words = new Uint32Array(Math.ceil(length / 4));
      for (let w = 0; w < words.length; w++) words[w] = random32();
      const error = await rejection(read(new Uint8Array(words.buffer, 0, length), 4 * KiB));
      codes.add(error.code);
    }
    // Mostly wire-format errors, but not only: some random files get as far as the ONNX checks.
    expect(codes.size).toBeGreaterThan(1);
  });

  it('rejects random bytes that start like an ONNX model (ir_version field first)', async () => {
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) & 0xff;
    for (let i = 0; i < 300; i++) {
      const body = Uint8Array.from({ length: 16 + (i % 400) }, next);
      await rejection(read(concatBytes([Uint8Array.from([0x08, 0x08]), body])));
    }
  });

  it('rejects a model without a graph', async () => {
    const error = await rejection(
      read(encodeOnnxModel({ ir_version: 8, producer_name: 'x', opset_import: [{ domain: '', version: 13 }] })),
    );
    expect(error.code).toBe(OnnxParseErrorCode.MISSING_GRAPH);
    expect(error.message).toContain('it has no graph');
  });

  it('rejects a graph with no outputs', async () => {
    const error = await rejection(read(customModel({ output: [] })));
    expect(error.code).toBe(OnnxParseErrorCode.MISSING_OUTPUTS);
    expect(error.message).toContain('its graph declares no outputs');
  });

  it('rejects a missing ir_version', async () => {
    const error = await rejection(read(customModel({}, { ir_version: undefined })));
    expect(error.code).toBe(OnnxParseErrorCode.INVALID_IR_VERSION);
    expect(error.message).toContain('it has no ir_version');
  });

  it.each([0, 21, -3])('rejects ir_version %i', async (irVersion) => {
    const error = await rejection(read(customModel({}, { ir_version: irVersion })));
    expect(error.code).toBe(OnnxParseErrorCode.INVALID_IR_VERSION);
    expect(error.message).toContain(`its ir_version is ${irVersion}, expected 1 to 20`);
  });

  it('rejects a model without opset_import', async () => {
    const error = await rejection(read(customModel({}, { opset_import: [] })));
    expect(error.code).toBe(OnnxParseErrorCode.MISSING_OPSET_IMPORT);
    expect(error.message).toContain('declares no opset_import');
  });

  it('rejects an opset_import without a version', async () => {
    const error = await rejection(read(customModel({}, { opset_import: [{ domain: 'ai.onnx.ml' }] })));
    expect(error.code).toBe(OnnxParseErrorCode.MALFORMED);
    expect(error.message).toContain('the opset import for domain "ai.onnx.ml" has no version');
  });

  it.each([
    ['an input without a name', { input: [{ type: tensorType('FLOAT', [1]) }] }, 'graph input #1 has no name'],
    ['an output without a type', { output: [{ name: 'y' }] }, 'graph output "y" has no type'],
    [
      'an opaque output type',
      { output: [valueInfo('y', { opaque_type: { domain: 'com.example', name: 'Thing' } })] },
      'graph output "y" has an opaque type',
    ],
    [
      'a sequence without an element type',
      { output: [valueInfo('y', { sequence_type: {} })] },
      'graph output "y" has a sequence type without an element type',
    ],
  ] as [string, GraphInit, string][])('rejects %s', async (_label, graph, message) => {
    const error = await rejection(read(customModel(graph)));
    expect(error.code).toBe(OnnxParseErrorCode.INVALID_SIGNATURE);
    expect(error.message).toContain(message);
  });
});

describe('readOnnxModelInfo: maxMetadataBytes', () => {
  const hugeName = 'y'.repeat(256 * KiB);
  const bigSignature = customModel({ output: [valueInfo(hugeName, tensorType('FLOAT', [1]))] });

  it('refuses metadata beyond the limit before buffering it', async () => {
    const error = await rejection(read(bigSignature, 64 * KiB, { maxMetadataBytes: 64 * KiB }));
    expect(error.code).toBe(OnnxParseErrorCode.METADATA_TOO_LARGE);
    expect(error.message).toContain('larger than the limit of 65536 bytes, reached while reading graph output #1');
  });

  it('counts all metadata together', async () => {
    const many = Array.from({ length: 40 }, (_, i) => valueInfo(`input_${i}_${'x'.repeat(100)}`, tensorType('FLOAT')));
    const bytes = customModel({ input: many });
    await expect(read(bytes, 64 * KiB, { maxMetadataBytes: 8 * KiB })).resolves.toBeDefined();
    const error = await rejection(read(bytes, 64 * KiB, { maxMetadataBytes: 4 * KiB }));
    expect(error.code).toBe(OnnxParseErrorCode.METADATA_TOO_LARGE);
  });

  it('reads the same model under the 16 MiB default', async () => {
    expect((await read(bigSignature)).signature.outputs[0].name).toBe(hugeName);
  });

  it('refuses an invalid limit', async () => {
    await expect(read(linearRegressionModel(), 64, { maxMetadataBytes: 0 })).rejects.toThrow(RangeError);
  });
});

describe('readOnnxModelInfo: the source stream', () => {
  it('passes through an error of the source itself', async () => {
    const failure = new Error('connection reset');
    const bytes = linearRegressionModel();
    let pushed = false;
    const source = new Readable({
      read() {
        if (!pushed) {
          pushed = true;
          this.push(bytes.subarray(0, 40));
        } else {
          this.destroy(failure);
        }
      },
    });
    await expect(readOnnxModelInfo(source)).rejects.toBe(failure);
  });

  it('destroys the source when it rejects the file before its end', async () => {
    const source = pushStream(split(concatBytes([bytesOf('PK\x03\x04'), new Uint8Array(MiB)]), KiB));
    await rejection(readOnnxModelInfo(source));
    expect(source.destroyed).toBe(true);
  });

  it('consumes the source to its end on success', async () => {
    const source = pushStream(split(linearRegressionModel(), 10));
    await readOnnxModelInfo(source);
    expect(source.readableEnded).toBe(true);
  });
});
