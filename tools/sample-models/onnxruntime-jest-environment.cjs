// Jest environment for specs that run onnxruntime-node. Jest runs each spec in its own V8 context,
// whose typed-array constructors differ from the ones of the Node realm where native addons create
// their results; onnxruntime-common then refuses the Float32Array its own binding returned ("A
// float32 tensor's data must be type of function Float32Array()"). Jest already shares ArrayBuffer,
// Uint8Array and Buffer with the test context; this shares the other typed arrays too.
// Use it with a docblock at the top of the spec (the path is relative to the repository root):
//   /** @jest-environment ./tools/sample-models/onnxruntime-jest-environment.cjs */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OnnxRuntimeTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxRuntimeTestEnvironment;
