#!/usr/bin/env node
// Writes the TypeScript types for every .proto file under proto/ into
// libs/proto/src/generated (`write`), or fails when the committed types differ
// from what the .proto files produce (`check`, run in CI). The loader options
// here are the ones libs/proto/src/load.ts passes to @grpc/proto-loader; the
// two must agree or the types lie.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const protoDir = path.join(root, 'proto');
const target = path.join(root, 'libs', 'proto', 'src', 'generated');

function protoFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return protoFiles(full);
    return e.name.endsWith('.proto') ? [path.relative(protoDir, full)] : [];
  });
}

function generate(outDir) {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const bin = path.join(root, 'node_modules', '.bin', 'proto-loader-gen-types');
  const files = protoFiles(protoDir).sort();
  execFileSync(
    bin,
    ['--keepCase', '--longs=Number', '--enums=String', '--defaults', '--oneofs', '--grpcLib=@grpc/grpc-js', '-I', protoDir, '-O', outDir, ...files],
    { stdio: 'pipe' },
  );
  // The generator names each source by its absolute path; keep the output the same on every machine.
  for (const file of listing(outDir).keys()) {
    const full = path.join(outDir, file);
    fs.writeFileSync(full, fs.readFileSync(full, 'utf8').split(protoDir + path.sep).join('proto/'));
  }
  return files;
}

function listing(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(path.relative(dir, full), fs.readFileSync(full, 'utf8'));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

const mode = process.argv[2];
if (mode === 'write') {
  const files = generate(target);
  process.stdout.write(`proto types written to ${path.relative(root, target)} for ${files.join(', ')}\n`);
} else if (mode === 'check') {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modelport-proto-'));
  try {
    generate(tmp);
    const fresh = listing(tmp);
    const committed = listing(target);
    const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter((f) => fresh.get(f) !== committed.get(f)).sort();
    if (stale.length > 0) {
      process.stderr.write(
        `The generated proto types are stale: ${stale.map((f) => `libs/proto/src/generated/${f}`).join(', ')}.\n` +
          'Run `npm run proto:generate` and commit the result.\n',
      );
      process.exit(1);
    }
    process.stdout.write('proto types are up to date.\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
} else {
  process.stderr.write('usage: proto-types.cjs write|check\n');
  process.exit(2);
}
