// One source of truth for how TypeScript is compiled: the build, Jest and the
// dev runner all take their swc options from here, and the path aliases from
// tsconfig.base.json.
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..', '..');

function tsconfigPaths() {
  const base = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
  return base.compilerOptions.paths;
}

function swcOptions({ rewritePaths = false } = {}) {
  const jsc = {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  };
  if (rewritePaths) {
    jsc.baseUrl = root;
    jsc.paths = tsconfigPaths();
  }
  return { sourceMaps: 'inline', module: { type: 'commonjs', strict: false }, jsc };
}

module.exports = { root, tsconfigPaths, swcOptions };
