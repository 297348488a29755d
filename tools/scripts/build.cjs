#!/usr/bin/env node
// Compiles every TypeScript source (tests excluded) into dist/ with the same
// layout, rewriting @modelport/* imports to relative paths so that plain
// `node dist/apps/server/src/main.js` runs with no loader.
const path = require('node:path');
const fs = require('node:fs');
const swc = require('@swc/core');
const { root, swcOptions } = require('./swc-options.cjs');

const sourceDirs = ['apps', 'libs', 'plugins', 'tools'];
const skip = /(\.spec|\.int-spec|\.d)\.ts$/;

function* walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts') && !skip.test(entry.name)) yield full;
  }
}

async function main() {
  const options = swcOptions({ rewritePaths: true });
  const out = path.join(root, 'dist');
  const files = sourceDirs.flatMap((d) => [...walk(path.join(root, d))]);
  let count = 0;
  await Promise.all(
    files.map(async (file) => {
      const rel = path.relative(root, file);
      const target = path.join(out, rel.replace(/\.ts$/, '.js'));
      const { code } = await swc.transformFile(file, { ...options, filename: file, swcrc: false, configFile: false });
      fs.mkdirSync(path.dirname(target), { recursive: true });
      // Test files build in parallel while plugins they launched read dist/: never leave a half-written file.
      let same = false;
      try {
        same = fs.readFileSync(target, 'utf8') === code;
      } catch {
        // not built yet
      }
      if (!same) {
        const temp = `${target}.${process.pid}.tmp`;
        fs.writeFileSync(temp, code);
        fs.renameSync(temp, target);
      }
      count++;
    }),
  );
  // Non-TypeScript assets that the runtime reads (migrations are TS, schema is generated).
  process.stdout.write(`modelport build: ${count} files compiled into dist/\n`);
}

main().catch((err) => {
  process.stderr.write(`modelport build failed: ${err.stack || err}\n`);
  process.exit(1);
});
