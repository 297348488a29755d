// Writes the small sample models that are committed under tools/sample-models/models/.
// Run from the repository root:
//   npm run build && node dist/tools/sample-models/write-sample-models.js [output-dir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { irisClassifierModel, linearRegressionModel } from './onnx-builder';

export const SAMPLE_MODEL_FILES: Record<string, () => Uint8Array> = {
  'linear-regression.onnx': linearRegressionModel,
  'iris-classifier.onnx': () => irisClassifierModel(),
};

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
