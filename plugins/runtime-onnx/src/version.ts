/** The plugin's id in GetInfo and in the core's plugin list. */
export const PLUGIN_ID = 'runtime-onnx';

/**
 * The plugin's version: the "version" of plugins/runtime-onnx/package.json (a spec checks they
 * agree; the build does not copy package.json next to the compiled code).
 */
export const PLUGIN_VERSION = '0.1.0';
