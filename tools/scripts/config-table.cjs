#!/usr/bin/env node
// Rewrites the configuration table in README.md from the settings schema
// (libs/platform/config/src/config.schema.ts), between the config-table markers.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..', '..');
execFileSync(process.execPath, [path.join(__dirname, 'build.cjs')], { cwd: root, stdio: 'ignore' });
const { settingDocs } = require(path.join(root, 'dist/libs/platform/config/src/index.js'));
const rows = ['| Variable | Default | Meaning |', '|---|---|---|'];
for (const s of settingDocs) {
  rows.push(`| \`${s.variable}\` | ${s.default ? `\`${s.default}\`` : '(unset)'} | ${s.description.replace(/\|/g, '\\|')} |`);
}
const readme = path.join(root, 'README.md');
const text = fs.readFileSync(readme, 'utf8');
const start = '<!-- config-table:start -->';
const end = '<!-- config-table:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < 0) throw new Error('README.md lacks the config-table markers');
fs.writeFileSync(readme, `${text.slice(0, a + start.length)}\n${rows.join('\n')}\n${text.slice(b)}`);
process.stdout.write(`README.md: ${settingDocs.length} settings\n`);
