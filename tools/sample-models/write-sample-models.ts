// Writes the sample models that are committed under tools/sample-models/models/: for each model in
// the catalog, <name>.onnx and <name>.params.json (parameters and test inputs for the NumPy
// reference). Then compute_expected.py writes <name>.expected.json. Run from the repository root:
//   node tools/scripts/build.cjs && node dist/tools/sample-models/write-sample-models.js [output-dir]
//   python3 tools/sample-models/compute_expected.py [output-dir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SAMPLE_MODELS, sampleModelParamsJson } from './sample-model-catalog';

/** Committed file name → its bytes, as this script writes them. */
export const SAMPLE_MODEL_FILES: Record<string, () => Uint8Array> = Object.fromEntries(
  SAMPLE_MODELS.flatMap((model) => [
    [`${model.name}.onnx`, model.build],
    [`${model.name}.params.json`, () => new TextEncoder().encode(sampleModelParamsJson(model))],
  ]),
);

export function writeSampleModels(outputDir: string): string[] {
  mkdirSync(outputDir, { recursive: true });
  return Object.entries(SAMPLE_MODEL_FILES).map(([file, build]) => {
    const target = join(outputDir, file);
    writeFileSync(target, build());
    return target;
  });
}

if (require.main === module) {
  const outputDir = resolve(process.argv[2] ?? join('tools', 'sample-models', 'models'));
  for (const file of writeSampleModels(outputDir)) process.stdout.write(`wrote ${file}\n`);
}
