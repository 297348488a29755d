#!/usr/bin/env node
// The plugin conformance kit on the command line. Checks a running plugin
// (--address/--secret) or launches one the way the Modelport host does
// (--launch), prints one line per check and exits 0 only if all passed.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HANDSHAKE_ENV } from '../handshake';
import { processEnvironment } from '../serve-settings';
import { fromJson, type Tensor } from '../tensors';
import { launchLocalPlugin, type LaunchedPlugin } from './launch-local-plugin';
import { runConformance } from './run-conformance';

const USAGE = `Usage: node dist/libs/plugin-sdk/src/conformance/cli.js
  (--address <unix:/path.sock | host:port> --secret <secret> | --launch "<command and args>")
  --artifact <model file> --format <format name>
  [--sample-input <file.json>]      V2 JSON inputs: [{"name","datatype","shape","data"}] or {"inputs": [...]}
  [--handshake-timeout-ms <ms>]     with --launch (default 30000)
  [--grace-ms <ms>]                 how long the plugin may take to exit after SIGTERM (default 10000)
  [--concurrency <n>]               parallel inferences (default 64)
  [--verbose]                       forward the launched plugin's output to stderr
The secret may also come from MODELPORT_PLUGIN_SECRET.
Exit status: 0 all checks passed, 1 a check failed, 2 usage or launch error.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      address: { type: 'string' },
      secret: { type: 'string' },
      launch: { type: 'string' },
      artifact: { type: 'string' },
      format: { type: 'string' },
      'sample-input': { type: 'string' },
      'handshake-timeout-ms': { type: 'string' },
      'grace-ms': { type: 'string' },
      concurrency: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const problems: string[] = [];
  if (!values.artifact) problems.push('--artifact is required');
  else if (!existsSync(values.artifact)) problems.push(`--artifact ${values.artifact}: no such file`);
  if (!values.format) problems.push('--format is required');
  if (values.launch && values.address) problems.push('give either --launch or --address, not both');
  const secret = values.secret ?? processEnvironment()[HANDSHAKE_ENV.secret];
  if (!values.launch && !values.address) problems.push('give --launch "<command>" or --address with --secret');
  if (values.address && !secret) problems.push('--secret (or MODELPORT_PLUGIN_SECRET) is required with --address');
  const number = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) problems.push(`--${name} must be a whole number (got "${value}")`);
    return Number(value);
  };
  const handshakeTimeoutMs = number('handshake-timeout-ms', values['handshake-timeout-ms']);
  const graceMs = number('grace-ms', values['grace-ms']);
  const concurrency = number('concurrency', values.concurrency);
  let command: string[] = [];
  if (values.launch) {
    command = splitCommand(values.launch);
    if (command.length === 0) problems.push('--launch is empty');
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const sampleInput = values['sample-input'] ? readSampleInput(values['sample-input']) : undefined;

  let launched: LaunchedPlugin | undefined;
  if (values.launch) {
    try {
      launched = await launchLocalPlugin(
        command[0]!,
        command.slice(1),
        {},
        {
          handshakeTimeoutMs,
          onOutput: values.verbose ? (stream, line) => process.stderr.write(`[plugin ${stream}] ${line}\n`) : undefined,
        },
      );
    } catch (err) {
      process.stderr.write(`could not launch the plugin: ${(err as Error).message}\n`);
      return 2;
    }
    process.stdout.write(`launched ${values.launch} at ${launched.address} (protocol ${launched.protocolVersion})\n`);
  }
  try {
    const report = await runConformance({
      address: launched?.address ?? values.address!,
      secret: launched?.secret ?? secret!,
      artifact: { path: values.artifact!, format: values.format! },
      sampleInput,
      launched,
      shutdownGraceMs: graceMs,
      concurrency,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    const passed = report.checks.filter((c) => c.passed).length;
    process.stdout.write(`${passed}/${report.checks.length} checks passed${report.passed ? '' : ' — the plugin does not conform'}\n`);
    return report.passed ? 0 : 1;
  } finally {
    await launched?.stop();
  }
}

function readSampleInput(path: string): Tensor[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--sample-input ${path}: ${(err as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { inputs?: unknown })?.inputs;
  if (!Array.isArray(list) || list.length === 0) throw new UsageError(`--sample-input ${path}: expected a non-empty array of V2 JSON tensors, or {"inputs": [...]}`);
  try {
    return list.map((t) => fromJson(t));
  } catch (err) {
    throw new UsageError(`--sample-input ${path}: ${(err as Error).message}`);
  }
}

/** Splits a command line on spaces, honouring single and double quotes and backslash escapes. */
export function splitCommand(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let started = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
      started = true;
    } else if (/\s/.test(c)) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quote) throw new UsageError(`unbalanced ${quote} in --launch`);
  if (started) args.push(current);
  return args;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
        process.exit(2);
      }
      process.stderr.write(`conformance run failed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(2);
    },
  );
}
