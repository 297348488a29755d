import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LoadedModel__Output, ModelInferRequest } from '@modelport/proto';
import { connectPlugin, PluginCallError, type HealthStatus, type PluginConnection } from '../client';
import type { StatusName } from '../call-error';
import type { SignatureSpec, TensorSpec } from '../runtime';
import { signatureFromProto } from '../signature';
import { decodeInferOutputs, encodeInferInputs, type Tensor, type TensorEncoding } from '../tensors';
import { startArtifactServer, type ArtifactServer } from './artifact-server';
import type { LaunchedPlugin } from './launch-local-plugin';
import { differenceBetween, otherDatatype, sampleData, sampleInputs, seededRandom, wrongShapeInput } from './sample-inputs';

export interface ConformanceCheck {
  readonly name: string;
  readonly passed: boolean;
  /** What was seen (passed) or what was wrong (failed). */
  readonly detail: string;
  readonly ms: number;
}

export interface ConformanceReport {
  readonly address: string;
  /** True when every check passed. */
  readonly passed: boolean;
  readonly checks: readonly ConformanceCheck[];
}

export interface RunConformanceOptions {
  /** `unix:/path.sock` or host:port. */
  readonly address: string;
  readonly secret: string;
  /** A model file the plugin serves, and its format name as the plugin lists it (e.g. "onnx"). */
  readonly artifact: { readonly path: string; readonly format: string };
  /** Inputs for inference; default: generated from the signature LoadModel returns. */
  readonly sampleInput?: readonly Tensor[];
  /** Called with one line per finished check ("PASS name: detail" / "FAIL name: detail"). */
  readonly log?: (line: string) => void;
  /** When the kit launched the plugin (launchLocalPlugin): also checks the SIGTERM shutdown, which ends the plugin. */
  readonly launched?: LaunchedPlugin;
  /** How long the plugin may take to exit after SIGTERM. Default 10 s. */
  readonly shutdownGraceMs?: number;
  /** Parallel inferences in the concurrency check. Default 64. */
  readonly concurrency?: number;
  /** Deadline of every call. Default 30 s. */
  readonly deadlineMs?: number;
}

class CheckFailed extends Error {}

function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

/** Expects the call to fail with `code`; resolves with the plugin's message. */
async function expectStatus(call: Promise<unknown>, code: StatusName): Promise<string> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof PluginCallError)) throw err;
    if (err.code === code) return err.details;
    throw new CheckFailed(`expected ${code}, got ${err.code}: ${err.details}`);
  }
  throw new CheckFailed(`expected ${code}, but the call succeeded`);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const short = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…` : s);

/**
 * Runs the plugin contract against a plugin at `address`: GetInfo, secrets,
 * load/unload semantics over http:// and file://, digest refusal, V2
 * metadata, typed and raw inference, refusals of malformed requests, 64
 * concurrent inferences, health of the plugin and of model keys, ListModels,
 * and (when the kit launched the plugin) graceful shutdown on SIGTERM.
 * Never throws for a plugin's misbehaviour: every finding is a check.
 */
export async function runConformance(options: RunConformanceOptions): Promise<ConformanceReport> {
  const checks: ConformanceCheck[] = [];
  const log = options.log ?? (() => undefined);
  const record = (name: string, passed: boolean, detail: string, started: number) => {
    checks.push({ name, passed, detail, ms: Date.now() - started });
    log(`${passed ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
  };
  const check = async (name: string, fn: () => Promise<string>): Promise<boolean> => {
    const started = Date.now();
    try {
      record(name, true, await fn(), started);
      return true;
    } catch (err) {
      const message = err instanceof CheckFailed || err instanceof PluginCallError ? err.message : `unexpected error: ${(err as Error)?.stack ?? String(err)}`;
      record(name, false, message, started);
      return false;
    }
  };
  const notRun = (name: string, why: string) => record(name, false, `not run: ${why}`, Date.now());

  const format = options.artifact.format.toLowerCase();
  const bytes = await readFile(options.artifact.path);
  const altered = Buffer.concat([bytes, Buffer.from('\n')]);
  const digest = sha256(bytes);
  const base = `conformance-${randomBytes(4).toString('hex')}`;
  const keys = { alpha: `${base}-alpha`, bravo: `${base}-bravo`, charlie: `${base}-charlie`, nobody: `${base}-nobody` };
  const deadline = { deadlineMs: options.deadlineMs ?? 30_000 };
  const conn = connectPlugin(options.address, options.secret, { deadlineMs: deadline.deadlineMs });
  const noSecret = connectPlugin(options.address, '', { deadlineMs: deadline.deadlineMs });
  const wrongSecret = connectPlugin(options.address, `${options.secret}-wrong`, { deadlineMs: deadline.deadlineMs });
  let server: ArtifactServer | undefined;
  let shutDown = false;

  const listProblems: string[] = [];
  const expectListed = async (when: string, present: Record<string, string>, absent: string[]) => {
    try {
      const models = await conn.listModels();
      for (const [key, sha] of Object.entries(present)) {
        const m = models.find((x) => x.model_key === key);
        if (!m) listProblems.push(`${when}: "${key}" missing`);
        else if (m.sha256 !== sha) listProblems.push(`${when}: "${key}" listed with sha256 ${m.sha256}, loaded with ${sha}`);
      }
      for (const key of absent) if (models.some((x) => x.model_key === key)) listProblems.push(`${when}: "${key}" listed but not loaded`);
      const dupes = models.map((m) => m.model_key).filter((k, i, all) => all.indexOf(k) !== i);
      if (dupes.length > 0) listProblems.push(`${when}: listed twice: ${dupes.join(', ')}`);
    } catch (err) {
      listProblems.push(`${when}: ListModels failed: ${(err as Error).message}`);
    }
  };

  try {
    server = await startArtifactServer({ model: bytes, altered });
    const artifact = (name: 'model' | 'altered', sha = name === 'model' ? digest : sha256(altered)) => ({
      uri: server!.url(name),
      sha256: sha,
      size_bytes: name === 'model' ? bytes.length : altered.length,
      format,
    });

    await check('health-plugin-serving', async () => {
      const status = await noSecret.checkHealth('');
      ensure(status === 'SERVING', `grpc.health.v1 Check("") answered ${status}, expected SERVING`);
      return 'Check("") is SERVING, without the secret';
    });

    let rawSupported = true;
    await check('get-info', async () => {
      const info = await conn.getInfo();
      ensure(info.id.trim() !== '', 'id is empty');
      ensure(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(info.version), `version "${info.version}" is not semantic (x.y.z)`);
      ensure(info.protocol_version === 1, `protocol_version is ${info.protocol_version}, expected 1`);
      const names = info.formats.map((f) => f.name);
      ensure(names.includes(format), `formats [${names.join(', ')}] do not include "${format}"`);
      ensure(
        names.every((n) => n === n.toLowerCase()),
        `format names must be lower case: [${names.join(', ')}]`,
      );
      rawSupported = info.capabilities?.raw_contents ?? false;
      return `${info.id} ${info.version}, protocol 1, formats [${names.join(', ')}], raw_contents ${rawSupported}`;
    });

    await check('server-metadata', async () => {
      ensure(await conn.serverLive(), 'ServerLive answered live = false');
      ensure(await conn.serverReady(), 'ServerReady answered ready = false while serving');
      const [meta, info] = await Promise.all([conn.serverMetadata(), conn.getInfo()]);
      ensure(meta.name === info.id, `ServerMetadata name "${meta.name}" differs from GetInfo id "${info.id}"`);
      ensure(meta.version === info.version, `ServerMetadata version "${meta.version}" differs from GetInfo version "${info.version}"`);
      return `live, ready, ${meta.name} ${meta.version}`;
    });

    await check('secret-missing', async () => {
      await expectStatus(noSecret.getInfo(), 'UNAUTHENTICATED');
      await expectStatus(noSecret.listModels(), 'UNAUTHENTICATED');
      await expectStatus(noSecret.loadModel({ model_key: keys.charlie, artifact: artifact('model') }), 'UNAUTHENTICATED');
      await expectStatus(noSecret.infer({ model_name: keys.nobody }), 'UNAUTHENTICATED');
      await expectStatus(noSecret.serverMetadata(), 'UNAUTHENTICATED');
      return 'GetInfo, ListModels, LoadModel, ModelInfer and ServerMetadata without the secret are UNAUTHENTICATED';
    });

    await check('secret-wrong', async () => {
      await expectStatus(wrongSecret.getInfo(), 'UNAUTHENTICATED');
      await expectStatus(wrongSecret.unloadModel(keys.nobody), 'UNAUTHENTICATED');
      await expectStatus(wrongSecret.infer({ model_name: keys.nobody }), 'UNAUTHENTICATED');
      return 'GetInfo, UnloadModel and ModelInfer with a wrong secret are UNAUTHENTICATED';
    });

    await expectListed('before any load', {}, Object.values(keys));

    let alpha: LoadedModel__Output | undefined;
    let signature: SignatureSpec | undefined;
    await check('load-http', async () => {
      const loaded = await conn.loadModel({ model_key: keys.alpha, artifact: artifact('model') });
      ensure(loaded.model_key === keys.alpha, `answered model_key "${loaded.model_key}", expected "${keys.alpha}"`);
      ensure(loaded.sha256 === digest, `answered sha256 ${loaded.sha256}, expected ${digest}`);
      ensure(loaded.loaded_at_ms > 0, 'loaded_at_ms is not set');
      let sig: SignatureSpec;
      try {
        sig = signatureFromProto(loaded.signature);
      } catch (err) {
        throw new CheckFailed(`the reported signature is invalid: ${(err as Error).message}`);
      }
      ensure(sig.inputs.length > 0 && sig.outputs.length > 0, 'the reported signature has no inputs or no outputs');
      alpha = loaded;
      signature = sig;
      return `loaded over http:// with signature ${describeSignature(sig)}`;
    });
    await expectListed('after loading alpha', alpha ? { [keys.alpha]: digest } : {}, [keys.bravo, keys.charlie]);

    const needAlpha = 'needs the model loaded by load-http';
    if (alpha) {
      await check('load-idempotent', async () => {
        const again = await conn.loadModel({ model_key: keys.alpha, artifact: artifact('model') });
        ensure(again.sha256 === digest, `answered sha256 ${again.sha256}`);
        ensure(
          again.loaded_at_ms === alpha!.loaded_at_ms,
          `loaded_at_ms changed from ${alpha!.loaded_at_ms} to ${again.loaded_at_ms}: the model was loaded again instead of being left as it was`,
        );
        return 'the same key and sha256 again succeeds without reloading';
      });
      await check('load-conflict', async () => {
        const details = await expectStatus(conn.loadModel({ model_key: keys.alpha, artifact: artifact('altered') }), 'ALREADY_EXISTS');
        const models = await conn.listModels();
        const still = models.find((m) => m.model_key === keys.alpha);
        ensure(still?.sha256 === digest, `after the refused load, "${keys.alpha}" is listed with ${still ? `sha256 ${still.sha256}` : 'nothing'}`);
        return `another sha256 under a loaded key is ALREADY_EXISTS (${short(details)}); the old model still serves`;
      });
    } else {
      notRun('load-idempotent', needAlpha);
      notRun('load-conflict', needAlpha);
    }

    let bravoLoaded = false;
    await check('load-file-second-key', async () => {
      const uri = pathToFileURL(resolve(options.artifact.path)).href;
      const loaded = await conn.loadModel({ model_key: keys.bravo, artifact: { uri, sha256: digest, size_bytes: bytes.length, format } });
      ensure(loaded.model_key === keys.bravo && loaded.sha256 === digest, `answered ${loaded.model_key} / ${loaded.sha256}`);
      bravoLoaded = true;
      const models = await conn.listModels();
      const ours = models.filter((m) => m.model_key === keys.alpha || m.model_key === keys.bravo).length;
      ensure(!alpha || ours === 2, `ListModels shows ${ours} of the two loaded keys`);
      return 'loaded over file:// under a second key, beside the first';
    });
    await expectListed(
      'after loading bravo',
      { ...(alpha ? { [keys.alpha]: digest } : {}), ...(bravoLoaded ? { [keys.bravo]: digest } : {}) },
      [keys.charlie],
    );

    await check('load-digest-mismatch', async () => {
      const wrong = sha256(altered);
      const details = await expectStatus(
        conn.loadModel({ model_key: keys.charlie, artifact: { ...artifact('model'), sha256: wrong } }),
        'FAILED_PRECONDITION',
      );
      const models = await conn.listModels();
      ensure(!models.some((m) => m.model_key === keys.charlie), `"${keys.charlie}" is listed after the refused load`);
      ensure(!(await conn.modelReady(keys.charlie).catch(() => false)), `ModelReady("${keys.charlie}") is true after the refused load`);
      return `a wrong sha256 is FAILED_PRECONDITION (${short(details)}) and nothing is loaded`;
    });
    await expectListed('after the refused load', {}, [keys.charlie]);

    if (alpha && signature) {
      const sig = signature;
      await check('model-ready-metadata', async () => {
        ensure(await conn.modelReady(keys.alpha), `ModelReady("${keys.alpha}") is false`);
        const unknownReady = await conn.modelReady(keys.nobody).catch((err: unknown) => {
          if (err instanceof PluginCallError && err.code === 'NOT_FOUND') return false;
          throw err;
        });
        ensure(!unknownReady, `ModelReady("${keys.nobody}") is true for a key never loaded`);
        const meta = await conn.modelMetadata(keys.alpha);
        ensure(meta.name === keys.alpha, `ModelMetadata name is "${meta.name}"`);
        ensure(meta.platform === format, `ModelMetadata platform is "${meta.platform}", expected "${format}"`);
        const same = (a: readonly { name: string; datatype: string; shape: readonly number[] }[], b: readonly TensorSpec[]) =>
          a.length === b.length && a.every((t, i) => t.name === b[i]!.name && t.datatype === b[i]!.datatype && t.shape.map(Number).join(',') === b[i]!.shape.join(','));
        ensure(same(meta.inputs, sig.inputs), 'ModelMetadata inputs differ from the signature LoadModel returned');
        ensure(same(meta.outputs, sig.outputs), 'ModelMetadata outputs differ from the signature LoadModel returned');
        return `ready; metadata platform "${meta.platform}", ${meta.inputs.length} input(s), ${meta.outputs.length} output(s)`;
      });
      await check('health-model-serving', async () => {
        const status = await noSecret.checkHealth(keys.alpha);
        ensure(status === 'SERVING', `Check("${keys.alpha}") answered ${status}, expected SERVING`);
        return 'a loaded model key is a SERVING health service';
      });
      await inferenceChecks(conn, keys, sig, options, rawSupported, check, notRun);
    } else {
      for (const name of ['model-ready-metadata', 'health-model-serving', ...INFERENCE_CHECKS]) notRun(name, needAlpha);
    }

    await check('infer-unknown-model', async () => {
      const details = await expectStatus(conn.infer({ model_name: keys.nobody, inputs: [] }), 'NOT_FOUND');
      ensure(details.includes(keys.nobody), `the message does not name the key asked for: ${short(details)}`);
      ensure(!details.includes(keys.alpha) && !details.includes(keys.bravo), `the message lists other loaded keys: ${short(details)}`);
      return `an unknown model key is NOT_FOUND (${short(details)})`;
    });

    if (alpha) {
      await check('unload-idempotent', async () => {
        ensure((await conn.unloadModel(keys.alpha)) === true, 'the first UnloadModel answered was_loaded = false');
        ensure((await conn.unloadModel(keys.alpha)) === false, 'the second UnloadModel answered was_loaded = true');
        ensure(!(await conn.modelReady(keys.alpha).catch(() => false)), 'ModelReady is still true after unloading');
        await expectStatus(conn.infer({ model_name: keys.alpha, inputs: [] }), 'NOT_FOUND');
        ensure((await conn.unloadModel(keys.nobody)) === false, 'unloading a never-loaded key answered was_loaded = true');
        return 'was_loaded true, then false; inference on the key is NOT_FOUND afterwards';
      });
      await check('health-model-unloaded', async () => {
        const status = await noSecret.checkHealth(keys.alpha);
        ensure(status === 'SERVICE_UNKNOWN' || status === 'NOT_SERVING', `Check("${keys.alpha}") answered ${status} after unloading`);
        if (bravoLoaded) {
          const other = await noSecret.checkHealth(keys.bravo);
          ensure(other === 'SERVING', `Check("${keys.bravo}") answered ${other}; unloading one key must leave the others serving`);
        }
        return `an unloaded key answers ${status === 'SERVICE_UNKNOWN' ? 'NOT_FOUND' : 'NOT_SERVING'}; other keys keep serving`;
      });
    } else {
      notRun('unload-idempotent', needAlpha);
      notRun('health-model-unloaded', needAlpha);
    }
    await expectListed('after unloading alpha', bravoLoaded ? { [keys.bravo]: digest } : {}, [keys.alpha, keys.charlie]);
    if (bravoLoaded) {
      if (!(await conn.unloadModel(keys.bravo).catch(() => false))) listProblems.push(`unloading "${keys.bravo}" did not answer was_loaded = true`);
    }
    await expectListed('after unloading everything', {}, Object.values(keys));

    await check('list-models-consistent', async () => {
      ensure(listProblems.length === 0, listProblems.join('; '));
      return 'ListModels matched every load and unload';
    });

    if (options.launched) {
      shutDown = true;
      await check('shutdown-graceful', () => shutdownCheck(conn, options.launched!, options.shutdownGraceMs ?? 10_000));
    }
  } finally {
    if (!shutDown) {
      for (const key of Object.values(keys)) await conn.unloadModel(key).catch(() => undefined);
    }
    conn.close();
    noSecret.close();
    wrongSecret.close();
    await server?.close();
  }
  return { address: options.address, passed: checks.every((c) => c.passed), checks };
}

const INFERENCE_CHECKS = [
  'infer-typed',
  'infer-raw',
  'infer-requested-outputs',
  'infer-wrong-input-name',
  'infer-wrong-datatype',
  'infer-wrong-shape',
  'infer-wrong-raw-length',
  'infer-concurrent',
  'infer-stream',
];

async function inferenceChecks(
  conn: PluginConnection,
  keys: { alpha: string },
  signature: SignatureSpec,
  options: RunConformanceOptions,
  rawSupported: boolean,
  check: (name: string, fn: () => Promise<string>) => Promise<boolean>,
  notRun: (name: string, why: string) => void,
): Promise<void> {
  const random = seededRandom(7);
  const inputs: readonly Tensor[] = options.sampleInput ?? sampleInputs(signature);
  const request = (tensors: readonly Tensor[], encoding: TensorEncoding, id: string, outputs: string[] = []): ModelInferRequest => ({
    model_name: keys.alpha,
    id,
    ...encodeInferInputs(tensors, encoding),
    outputs: outputs.map((name) => ({ name })),
  });
  const described = inputs.map((t) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`).join(', ');

  let baseline: Tensor[] | undefined;
  await check('infer-typed', async () => {
    const res = await conn.infer(request(inputs, 'typed', 'conformance-typed'));
    ensure(res.id === 'conformance-typed', `the response id is "${res.id}", expected the request's "conformance-typed"`);
    ensure(res.model_name === keys.alpha, `the response model_name is "${res.model_name}"`);
    const outputs = decodeInferOutputs(res);
    for (const spec of signature.outputs) {
      const out = outputs.find((o) => o.name === spec.name);
      ensure(out, `output "${spec.name}" is missing`);
      ensure(out.datatype === spec.datatype, `output "${spec.name}" is ${out.datatype}, the signature says ${spec.datatype}`);
      ensure(
        out.shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === out.shape[i]),
        `output "${spec.name}" has shape [${out.shape.join(', ')}], the signature says [${spec.shape.join(', ')}]`,
      );
    }
    baseline = outputs;
    return `inputs ${described} → ${outputs.map((o) => `${o.name} ${o.datatype} [${o.shape.join(', ')}]`).join(', ')}`;
  });

  if (!rawSupported) {
    for (const name of ['infer-raw', 'infer-wrong-raw-length']) await check(name, async () => 'not applicable: the plugin declares raw_contents = false');
  } else {
    await check('infer-raw', async () => {
      ensure(baseline, 'needs the outputs of infer-typed');
      const res = await conn.infer(request(inputs, 'raw', 'conformance-raw'));
      ensure(res.id === 'conformance-raw', `the response id is "${res.id}"`);
      const diff = differenceBetween(baseline, decodeInferOutputs(res));
      ensure(diff === undefined, `raw inputs gave other outputs than typed inputs: ${diff}`);
      return `raw_input_contents gave the same outputs as typed contents (answered ${res.raw_output_contents.length > 0 ? 'raw' : 'typed'})`;
    });
  }

  await check('infer-requested-outputs', async () => {
    const first = signature.outputs[0]!.name;
    const res = await conn.infer(request(inputs, 'typed', 'conformance-requested', [first]));
    const names = res.outputs.map((o) => o.name);
    ensure(names.length === 1 && names[0] === first, `asked for ["${first}"], got [${names.join(', ')}]`);
    return `asking for "${first}" returned only "${first}"`;
  });

  const first = inputs[0];
  if (!first) {
    for (const name of ['infer-wrong-input-name', 'infer-wrong-datatype', 'infer-wrong-shape', ...(rawSupported ? ['infer-wrong-raw-length'] : [])]) {
      notRun(name, 'the model has no inputs');
    }
  } else {
    const spec: TensorSpec = signature.inputs.find((s) => s.name === first.name) ?? { ...first, shape: first.shape.map(() => -1) };
    const replaced = (t: Tensor) => [t, ...inputs.slice(1)];
    await check('infer-wrong-input-name', async () => {
      const renamed = { ...first, name: 'modelport-conformance-no-such-input' } as Tensor;
      const details = await expectStatus(conn.infer(request(replaced(renamed), 'typed', 'wrong-name')), 'INVALID_ARGUMENT');
      return `an unknown input name is INVALID_ARGUMENT (${short(details)})`;
    });
    await check('infer-wrong-datatype', async () => {
      const datatype = otherDatatype(first.datatype);
      const count = first.shape.reduce((n, d) => n * d, 1);
      const retyped = { name: first.name, datatype, shape: [...first.shape], data: sampleData(datatype, count, random) } as Tensor;
      const details = await expectStatus(conn.infer(request(replaced(retyped), 'typed', 'wrong-datatype')), 'INVALID_ARGUMENT');
      return `${datatype} instead of ${first.datatype} is INVALID_ARGUMENT (${short(details)})`;
    });
    await check('infer-wrong-shape', async () => {
      const reshaped = wrongShapeInput(first, spec, random);
      const details = await expectStatus(conn.infer(request(replaced(reshaped), 'typed', 'wrong-shape')), 'INVALID_ARGUMENT');
      return `shape [${reshaped.shape.join(', ')}] for [${spec.shape.join(', ')}] is INVALID_ARGUMENT (${short(details)})`;
    });
    if (rawSupported) {
      await check('infer-wrong-raw-length', async () => {
        const req = request(inputs, 'raw', 'wrong-raw-length');
        const raw = req.raw_input_contents as Buffer[];
        ensure(raw.length > 0 && raw[0]!.length > 0, 'could not build a raw request');
        req.raw_input_contents = [raw[0]!.subarray(0, raw[0]!.length - 1), ...raw.slice(1)];
        const details = await expectStatus(conn.infer(req), 'INVALID_ARGUMENT');
        return `raw contents one byte short are INVALID_ARGUMENT (${short(details)})`;
      });
    }
  }

  const n = options.concurrency ?? 64;
  await check('infer-concurrent', async () => {
    ensure(baseline, 'needs the outputs of infer-typed');
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => conn.infer(request(inputs, rawSupported && i % 2 === 1 ? 'raw' : 'typed', `conformance-concurrent-${i}`))),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    ensure(failed.length === 0, `${failed.length} of ${n} failed, e.g. ${(failed[0] as PromiseRejectedResult | undefined)?.reason}`);
    for (let i = 0; i < n; i++) {
      const res = (results[i] as PromiseFulfilledResult<Awaited<ReturnType<PluginConnection['infer']>>>).value;
      ensure(res.id === `conformance-concurrent-${i}`, `response ${i} carries id "${res.id}"`);
      const diff = differenceBetween(baseline, decodeInferOutputs(res));
      ensure(diff === undefined, `request ${i} of ${n} gave other outputs than the sequential one: ${diff}`);
    }
    return `${n} concurrent inferences (typed and raw) all succeeded with the sequential outputs`;
  });

  await check('infer-stream', async () => {
    ensure(baseline, 'needs the outputs of infer-typed');
    const info = await conn.getInfo();
    if (!info.capabilities?.infer_stream) return 'not applicable: the plugin declares infer_stream = false (the core sends it ModelInfer calls)';
    const stream = conn.inferStream();
    const answered = Promise.all([
      ...Array.from({ length: n }, (_, i) => stream.send(1000 + i, request(inputs, rawSupported && i % 2 === 1 ? 'raw' : 'typed', `conformance-stream-${i}`))),
      stream.send(7, { model_name: 'modelport-conformance-no-such-key', id: 'stream-unknown', inputs: [] }),
    ]);
    let timer: NodeJS.Timeout | undefined;
    const answers = await Promise.race([answered, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 30_000)))]).finally(() => clearTimeout(timer));
    ensure(answers, `not every one of the ${n + 1} requests on the stream was answered within 30 s`);
    for (let i = 0; i < n; i++) {
      const answer = answers[i]!;
      ensure(answer.call_id === 1000 + i, `request with call_id ${1000 + i} was answered with call_id ${answer.call_id}`);
      ensure(answer.code === 0 && answer.response, `request ${i} failed on the stream: code ${answer.code}, "${answer.message}"`);
      ensure(answer.response.id === `conformance-stream-${i}`, `answer ${i} carries id "${answer.response.id}"`);
      const diff = differenceBetween(baseline, decodeInferOutputs(answer.response));
      ensure(diff === undefined, `request ${i} on the stream gave other outputs than ModelInfer: ${diff}`);
    }
    const unknown = answers[n]!;
    ensure(unknown.code === 5, `an unknown model key on the stream answered code ${unknown.code} ("${unknown.message}"), expected 5 (NOT_FOUND)`);
    const status = await Promise.race([stream.end(), new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 5_000)))]).finally(() => clearTimeout(timer));
    ensure(status, 'the plugin did not end the stream within 5 s after the core ended its side');
    ensure(status.code === 'OK', `the plugin ended the stream with ${status.code} (${status.details}), expected OK`);
    return `${n} concurrent requests on one InferStream answered by call_id with ModelInfer's outputs; an unknown key answered NOT_FOUND without ending the stream; ending the core's side ended the stream with OK`;
  });
}

async function shutdownCheck(conn: PluginConnection, launched: LaunchedPlugin, graceMs: number): Promise<string> {
  const statuses: HealthStatus[] = [];
  const watch = conn.watchHealth('', (s) => statuses.push(s));
  let watchEnded = false;
  void watch.ended.then(() => (watchEnded = true));
  try {
    const first = Date.now() + 5_000;
    while (statuses.length === 0 && !watchEnded && Date.now() < first) await sleep(20);
    ensure(statuses[0] === 'SERVING', `health Watch("") started with ${statuses[0] ?? (watchEnded ? 'an ended stream' : 'nothing')}, expected SERVING`);
    const started = Date.now();
    launched.child.kill('SIGTERM');
    const limit = graceMs + 5_000;
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([launched.exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), limit)))]);
    clearTimeout(timer);
    if (!exit) {
      await launched.stop(0);
      throw new CheckFailed(`the plugin was still running ${limit} ms after SIGTERM (grace period ${graceMs} ms); it was killed`);
    }
    const tookMs = Date.now() - started;
    const notServing = statuses.includes('NOT_SERVING');
    ensure(notServing || watchEnded, 'health never went NOT_SERVING and the connection stayed open');
    ensure(exit.code === 0, `the plugin exited with ${exit.signal ?? `code ${exit.code}`} after SIGTERM, expected code 0`);
    await launched.stop();
    return `after SIGTERM health went ${notServing ? 'NOT_SERVING' : 'away (connection closed)'} and the plugin exited 0 in ${tookMs} ms`;
  } finally {
    watch.cancel();
  }
}

function describeSignature(sig: SignatureSpec): string {
  const list = (ts: readonly TensorSpec[]) => ts.map((t) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`).join(', ');
  return `inputs ${list(sig.inputs)}; outputs ${list(sig.outputs)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
