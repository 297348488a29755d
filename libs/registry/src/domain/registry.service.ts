import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, isUuid, pageSize, sqlState, toPage, uniqueViolation, type Page, type PageRequest } from '@modelport/database';
import { accessFilter, assertCan, asSubject, nameKey, validateName, type Caller } from '@modelport/governance';
import { artifactKey, stagingKey, StorageError, type ArtifactStore } from '@modelport/storage';
import type { Logger } from '@modelport/observability';
import {
  ArtifactUploadEntity,
  ModelAliasEntity,
  ModelAliasEventEntity,
  ModelEntity,
  ModelVersionEntity,
  type UploadStatus,
} from '../persistence';
import { OnnxParseError, readOnnxModelInfo, type OnnxModelInfo } from './onnx';
import { RegistryError, RegistryErrorCode } from './registry.errors';
import type { Lineage, ModelFormat } from './registry.types';
import { validateAlias, validateFormat, validateLineage, validateSha256, validateSize, validateTags } from './registry.validation';

export interface RegistryOptions {
  readonly maxPageSize: number;
  readonly maxArtifactBytes: number;
  readonly uploadTtlSeconds: number;
  /** Base URL of this server, for upload and download links of the local store. */
  readonly publicUrl: () => string;
}

export interface Clock {
  now(): Date;
}

export interface UploadSlot {
  readonly upload: ArtifactUploadEntity;
  readonly url: string;
  readonly method: 'PUT';
  readonly headers: Record<string, string>;
}

export interface ModelFilter {
  readonly projectId?: string | null;
  readonly nameContains?: string | null;
  readonly tag?: string | null;
  readonly alias?: string | null;
  readonly format?: string | null;
}

export interface VersionFilter {
  readonly tag?: string | null;
  readonly alias?: string | null;
  readonly format?: string | null;
}

export interface RegisterVersionInput {
  readonly modelId: string;
  readonly uploadId: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly format?: string | null;
  readonly description?: string | null;
  readonly tags?: readonly string[] | null;
  readonly lineage?: Lineage | null;
}

/** A model version just committed by `registerVersion`, and who registered it. */
export interface VersionRegisteredEvent {
  readonly version: ModelVersionEntity;
  readonly model: ModelEntity;
  readonly actorId: string;
}

export type VersionRegisteredListener = (e: VersionRegisteredEvent) => Promise<void> | void;

const OPEN_UPLOAD: readonly UploadStatus[] = ['PENDING', 'RECEIVED'];
const MAX_DESCRIPTION = 10_000;

function validateDescription(description: string | null | undefined): string {
  const d = description ?? '';
  if (d.length > MAX_DESCRIPTION) {
    throw new RegistryError(RegistryErrorCode.INVALID_ARGUMENT, `description is ${d.length} characters long; at most ${MAX_DESCRIPTION} are allowed.`);
  }
  return d;
}

function projectNotFound(projectId: string): RegistryError {
  return new RegistryError(RegistryErrorCode.PROJECT_NOT_FOUND, `No project with id ${projectId} exists; list yours with the \`projects\` query.`);
}

function assertProjectId(projectId: unknown): void {
  if (!isUuid(projectId)) throw projectNotFound(String(projectId));
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Models, versions, artifacts and aliases. Every method checks the caller's
 * ability on the exact object; objects of projects the caller cannot read are
 * reported as not found. A failed registration leaves no version row and no
 * stored object behind.
 */
export class RegistryService {
  private readonly versionListeners = new Set<VersionRegisteredListener>();

  constructor(
    private readonly db: DataSource,
    private readonly store: ArtifactStore,
    private readonly options: RegistryOptions,
    private readonly logger: Logger,
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  // ---- models ---------------------------------------------------------------

  async createModel(caller: Caller, input: { projectId: string; name: string; description?: string | null; tags?: readonly string[] | null }): Promise<ModelEntity> {
    assertProjectId(input.projectId);
    const name = validateName('model', input.name);
    assertCan(caller.ability, 'create', 'Model', { projectId: input.projectId, name, ownerId: caller.principal.userId, latestVersion: 0 });
    const tags = validateTags(input.tags);
    const description = validateDescription(input.description);
    try {
      return await this.db.getRepository(ModelEntity).save({
        projectId: input.projectId,
        name,
        nameKey: nameKey(name),
        description,
        tags,
        ownerId: caller.principal.userId,
      });
    } catch (err) {
      if (uniqueViolation(err) === 'models_project_name_unique') {
        const existing = await this.db.getRepository(ModelEntity).findOneBy({ projectId: input.projectId, nameKey: nameKey(name) });
        throw new RegistryError(
          RegistryErrorCode.MODEL_NAME_TAKEN,
          `The project already has a model named "${existing?.name ?? name}"; names are compared ignoring case and Unicode form. Pick another name or register a new version of that model.`,
          { existingModelId: existing?.id },
        );
      }
      if (sqlState(err) === '23503') throw projectNotFound(input.projectId);
      throw err;
    }
  }

  async updateModel(caller: Caller, input: { id: string; description?: string | null; tags?: readonly string[] | null }): Promise<ModelEntity> {
    const model = await this.getModel(caller, input.id);
    assertCan(caller.ability, 'update', 'Model', { ...model });
    const patch: Partial<ModelEntity> = {};
    if (input.description !== undefined && input.description !== null) patch.description = validateDescription(input.description);
    if (input.tags !== undefined && input.tags !== null) patch.tags = validateTags(input.tags);
    if (Object.keys(patch).length) await this.db.getRepository(ModelEntity).update({ id: model.id }, patch);
    return this.db.getRepository(ModelEntity).findOneByOrFail({ id: model.id });
  }

  async getModel(caller: Caller, id: string): Promise<ModelEntity> {
    const model = isUuid(id) ? await this.db.getRepository(ModelEntity).findOneBy({ id }) : null;
    if (!model || !caller.ability.can('read', asSubject('Model', { ...model }))) {
      throw new RegistryError(RegistryErrorCode.MODEL_NOT_FOUND, `No model with id ${id} is visible to you.`);
    }
    return model;
  }

  async getModelByName(caller: Caller, projectId: string, name: string): Promise<ModelEntity> {
    const model = isUuid(projectId) ? await this.db.getRepository(ModelEntity).findOneBy({ projectId, nameKey: nameKey(String(name)) }) : null;
    if (!model || !caller.ability.can('read', asSubject('Model', { ...model }))) {
      throw new RegistryError(RegistryErrorCode.MODEL_NOT_FOUND, `No model named "${name}" is visible to you in project ${projectId}.`);
    }
    return model;
  }

  async listModels(caller: Caller, filter: ModelFilter, page: PageRequest): Promise<Page<ModelEntity>> {
    const limit = pageSize(page.first, this.options.maxPageSize);
    // Only the models the caller's rules let it read, decided in SQL so every page is full.
    const access = accessFilter(caller.ability, 'read', 'Model', 'm');
    const qb = this.db.getRepository(ModelEntity).createQueryBuilder('m').orderBy('m.name_key', 'ASC').addOrderBy('m.id', 'ASC').limit(limit + 1);
    qb.andWhere(access.sql, access.params);
    if (filter.projectId) assertProjectId(filter.projectId);
    if (filter.projectId) qb.andWhere('m.project_id = :projectId', { projectId: filter.projectId });
    if (filter.nameContains) qb.andWhere(`m.name_key LIKE :pattern ESCAPE '\\'`, { pattern: `%${escapeLike(nameKey(filter.nameContains))}%` });
    if (filter.tag) qb.andWhere('m.tags @> ARRAY[:tag]::text[]', { tag: filter.tag });
    if (filter.alias) qb.andWhere('EXISTS (SELECT 1 FROM model_aliases a WHERE a.model_id = m.id AND a.alias = :alias)', { alias: filter.alias });
    if (filter.format) {
      qb.andWhere('EXISTS (SELECT 1 FROM model_versions v WHERE v.model_id = m.id AND v.format = :format)', { format: validateFormat(filter.format) });
    }
    if (page.after) {
      const [key, id] = decodeCursor(page.after, 2, ['string', 'uuid']);
      qb.andWhere('(m.name_key, m.id) > (:key, :id)', { key, id });
    }
    return toPage(await qb.getMany(), limit, (m) => [m.nameKey, m.id]);
  }

  // ---- uploads --------------------------------------------------------------

  /**
   * Reserves an upload slot for an artifact of a declared size and digest. With
   * S3 the URL is a presigned PUT straight to the bucket; with the local store
   * it is this server's streaming upload endpoint (send the same bearer token).
   */
  async createUpload(caller: Caller, input: { projectId: string; sizeBytes: number; sha256: string }): Promise<UploadSlot> {
    assertProjectId(input.projectId);
    assertCan(caller.ability, 'create', 'Upload', { projectId: input.projectId });
    const size = validateSize(input.sizeBytes, this.options.maxArtifactBytes);
    const sha256 = validateSha256(input.sha256);
    const id = randomUUID();
    const expiresAt = new Date(this.clock.now().getTime() + this.options.uploadTtlSeconds * 1000);
    const presigned = await this.store.presignPut(stagingKey(id), this.options.uploadTtlSeconds);
    let upload: ArtifactUploadEntity;
    try {
      upload = await this.db.getRepository(ArtifactUploadEntity).save({
        id,
        projectId: input.projectId,
        createdBy: caller.principal.userId,
        expectedSize: size,
        expectedSha256: sha256,
        status: 'PENDING',
        expiresAt,
      });
    } catch (err) {
      throw sqlState(err) === '23503' ? projectNotFound(input.projectId) : err;
    }
    if (presigned) return { upload, url: presigned, method: 'PUT', headers: { 'content-type': 'application/octet-stream' } };
    return {
      upload,
      url: `${this.options.publicUrl()}/v1/uploads/${id}`,
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', authorization: 'Bearer <your token>' },
    };
  }

  /** An upload of a project the caller may upload to; others' uploads are reported as not found. */
  private async visibleUpload(caller: Caller, id: string, tx: EntityManager = this.db.manager): Promise<ArtifactUploadEntity> {
    const upload = isUuid(id) ? await tx.getRepository(ArtifactUploadEntity).findOneBy({ id }) : null;
    if (!upload || !caller.ability.can('create', asSubject('Upload', { ...upload }))) {
      throw new RegistryError(RegistryErrorCode.UPLOAD_NOT_FOUND, `No upload with id ${id} exists in a project you can upload to; ask for a new one with createArtifactUpload.`);
    }
    return upload;
  }

  private assertOpen(upload: ArtifactUploadEntity): void {
    if (upload.status === 'CONSUMED') {
      throw new RegistryError(RegistryErrorCode.UPLOAD_ALREADY_USED, `Upload ${upload.id} was already registered as a model version; ask for a new upload.`);
    }
    if (upload.status === 'REJECTED') {
      throw new RegistryError(RegistryErrorCode.UPLOAD_ALREADY_USED, `Upload ${upload.id} was rejected (${upload.failure ?? 'see its failure'}); ask for a new upload.`);
    }
    if (upload.status === 'VERIFYING') {
      throw new RegistryError(RegistryErrorCode.UPLOAD_IN_PROGRESS, `Upload ${upload.id} is being registered by another request; wait for it to finish.`);
    }
    if (upload.status === 'EXPIRED' || upload.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new RegistryError(RegistryErrorCode.UPLOAD_EXPIRED, `Upload ${upload.id} expired at ${upload.expiresAt.toISOString()}; ask for a new upload.`);
    }
  }

  /** Streams the bytes of an upload into the local store (the endpoint used when there is no presigned URL). */
  async receiveUpload(caller: Caller, uploadId: string, body: Readable): Promise<ArtifactUploadEntity> {
    const upload = await this.visibleUpload(caller, uploadId);
    this.assertOpen(upload);
    try {
      await this.store.put(stagingKey(upload.id), body, { size: upload.expectedSize, maxBytes: upload.expectedSize });
    } catch (err) {
      if (err instanceof StorageError && (err.code === 'SIZE_MISMATCH' || err.code === 'ARTIFACT_TOO_LARGE')) {
        throw new RegistryError(
          RegistryErrorCode.SIZE_MISMATCH,
          `Upload ${upload.id} declared ${upload.expectedSize} bytes but the body had a different length; nothing was stored. Send exactly the declared bytes.`,
        );
      }
      throw err;
    }
    await this.db.getRepository(ArtifactUploadEntity).update({ id: upload.id, status: 'PENDING' }, { status: 'RECEIVED' });
    return this.db.getRepository(ArtifactUploadEntity).findOneByOrFail({ id: upload.id });
  }

  // ---- versions -------------------------------------------------------------

  /**
   * Verifies an uploaded artifact (size, sha256, and for ONNX its graph) and
   * registers it as the model's next version. On any failure the upload is
   * rejected, its bytes are deleted and no version exists.
   */
  async registerVersion(caller: Caller, input: RegisterVersionInput): Promise<ModelVersionEntity> {
    const model = await this.getModel(caller, input.modelId);
    assertCan(caller.ability, 'create', 'ModelVersion', { projectId: model.projectId, modelId: model.id, version: model.latestVersion + 1, createdBy: caller.principal.userId });
    const format: ModelFormat = input.format ? validateFormat(input.format) : 'onnx';
    const sha256 = validateSha256(input.sha256);
    const size = validateSize(input.sizeBytes, this.options.maxArtifactBytes);
    const tags = validateTags(input.tags);
    const lineage = validateLineage(input.lineage);
    const description = validateDescription(input.description);

    const upload = await this.claimUpload(caller, input.uploadId, model.projectId);
    const staging = stagingKey(upload.id);
    let verified: { onnx: OnnxModelInfo | null };
    try {
      if (upload.expectedSha256 !== sha256 || upload.expectedSize !== size) {
        throw new RegistryError(
          RegistryErrorCode.CHECKSUM_MISMATCH,
          `The sha256/size given now (${sha256}, ${size} bytes) differ from those declared for upload ${upload.id} (${upload.expectedSha256}, ${upload.expectedSize} bytes).`,
        );
      }
      verified = await this.verifyArtifact(staging, upload, format);
    } catch (err) {
      if (err instanceof RegistryError && err.code === RegistryErrorCode.UPLOAD_NOT_RECEIVED) {
        // Nothing was uploaded yet: give the slot back so the client can upload and retry.
        await this.db.getRepository(ArtifactUploadEntity).update({ id: upload.id }, { status: 'PENDING' });
      } else {
        await this.rejectUpload(upload.id, staging, err);
      }
      throw err;
    }

    let version: ModelVersionEntity;
    try {
      version = await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [sha256]);
        const key = artifactKey(sha256);
        if (!(await this.store.stat(key))) await this.store.copy(staging, key);
        const locked = await tx.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where('m.id = :id', { id: model.id }).getOneOrFail();
        const next = locked.latestVersion + 1;
        await tx.getRepository(ModelEntity).update({ id: model.id }, { latestVersion: next });
        const saved = await tx.getRepository(ModelVersionEntity).save({
          modelId: model.id,
          projectId: model.projectId,
          version: next,
          description,
          tags,
          format,
          artifactSha256: sha256,
          artifactSize: size,
          artifactKey: key,
          signature: verified.onnx ? verified.onnx.signature : null,
          onnx: verified.onnx
            ? {
                irVersion: verified.onnx.irVersion,
                opsets: verified.onnx.opsets,
                producerName: verified.onnx.producerName,
                producerVersion: verified.onnx.producerVersion,
              }
            : null,
          lineage,
          uploadId: upload.id,
          createdBy: caller.principal.userId,
        });
        await tx.getRepository(ArtifactUploadEntity).update({ id: upload.id }, { status: 'CONSUMED', versionId: saved.id, finishedAt: this.clock.now() });
        return saved;
      });
      await this.store.delete(staging);
    } catch (err) {
      await this.releaseArtifactIfUnused(sha256);
      await this.rejectUpload(upload.id, staging, err);
      throw err;
    }
    return this.announceRegistered({ version, model, actorId: caller.principal.userId });
  }

  /**
   * Calls `listener` after each version registration is committed (the answer waits for it). A listener that
   * throws is logged and never fails the registration. Returns the unsubscribe.
   */
  onVersionRegistered(listener: VersionRegisteredListener): () => void {
    this.versionListeners.add(listener);
    return () => void this.versionListeners.delete(listener);
  }

  /** Runs the listeners, then answers the version as stored after them (a listener may have annotated it). */
  private async announceRegistered(event: VersionRegisteredEvent): Promise<ModelVersionEntity> {
    if (this.versionListeners.size === 0) return event.version;
    for (const listener of [...this.versionListeners]) {
      try {
        await listener(event);
      } catch (err) {
        this.logger.error({ err, versionId: event.version.id, modelId: event.model.id }, 'a version-registered listener failed; the version stays registered');
      }
    }
    return (await this.db.getRepository(ModelVersionEntity).findOneBy({ id: event.version.id })) ?? event.version;
  }

  /** Moves an open upload to VERIFYING so that no other request can use it at the same time. */
  private async claimUpload(caller: Caller, uploadId: string, projectId: string): Promise<ArtifactUploadEntity> {
    const upload = await this.visibleUpload(caller, uploadId);
    if (upload.projectId !== projectId) {
      throw new RegistryError(RegistryErrorCode.UPLOAD_NOT_FOUND, `Upload ${uploadId} belongs to another project than the model; ask for an upload in the model's project.`);
    }
    this.assertOpen(upload);
    const claimed = await this.db
      .getRepository(ArtifactUploadEntity)
      .createQueryBuilder()
      .update()
      .set({ status: 'VERIFYING' })
      .where('id = :id AND status IN (:...open) AND expires_at > :now', { id: upload.id, open: OPEN_UPLOAD, now: this.clock.now() })
      .execute();
    if (!claimed.affected) {
      this.assertOpen(await this.db.getRepository(ArtifactUploadEntity).findOneByOrFail({ id: upload.id }));
      throw new RegistryError(RegistryErrorCode.UPLOAD_IN_PROGRESS, `Upload ${upload.id} is being registered by another request.`);
    }
    return upload;
  }

  /** One pass over the bytes: sha256 while an ONNX artifact is parsed from the same stream. */
  private async verifyArtifact(key: string, upload: ArtifactUploadEntity, format: ModelFormat): Promise<{ onnx: OnnxModelInfo | null }> {
    const info = await this.store.stat(key);
    if (!info) {
      throw new RegistryError(
        RegistryErrorCode.UPLOAD_NOT_RECEIVED,
        `No bytes were uploaded for upload ${upload.id} yet; PUT the file to its URL, then register the version.`,
      );
    }
    if (info.size !== upload.expectedSize) {
      throw new RegistryError(
        RegistryErrorCode.SIZE_MISMATCH,
        `The uploaded artifact has ${info.size} bytes but ${upload.expectedSize} were declared; the upload was discarded. Ask for a new upload with the right size.`,
      );
    }
    const source = await this.store.get(key);
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const piping = pipeline(source, tap);
    let onnx: OnnxModelInfo | null = null;
    let parseError: unknown = null;
    if (format === 'onnx') {
      try {
        onnx = await readOnnxModelInfo(tap);
      } catch (err) {
        parseError = err;
      }
    }
    tap.resume(); // drain whatever the parser did not read, so the digest covers every byte
    // A parser that stops early (bad input) ends the stream; then the digest takes a second pass.
    const complete = await piping.then(
      () => true,
      () => false,
    );
    const actual = complete ? hash.digest('hex') : (await this.store.hash(key)).sha256;
    if (actual !== upload.expectedSha256) {
      throw new RegistryError(
        RegistryErrorCode.CHECKSUM_MISMATCH,
        `The uploaded artifact's sha256 is ${actual} but ${upload.expectedSha256} was declared; the upload was discarded. Check the file and ask for a new upload.`,
      );
    }
    if (parseError) {
      if (parseError instanceof OnnxParseError) {
        throw new RegistryError(
          RegistryErrorCode.NOT_ONNX,
          `${parseError.message}. If the artifact is not ONNX, register it with an explicit format (one of pytorch, tensorflow, keras, sklearn, xgboost, lightgbm, pmml, custom).`,
        );
      }
      throw parseError;
    }
    return { onnx };
  }

  private async rejectUpload(uploadId: string, staging: string, reason: unknown): Promise<void> {
    const failure = reason instanceof Error ? reason.message : String(reason);
    await this.store.delete(staging).catch((err: unknown) => this.logger.error({ err, uploadId }, 'could not delete a rejected upload'));
    await this.db
      .getRepository(ArtifactUploadEntity)
      .update({ id: uploadId }, { status: 'REJECTED', failure: failure.slice(0, 2000), finishedAt: this.clock.now() })
      .catch((err: unknown) => this.logger.error({ err, uploadId }, 'could not mark an upload rejected'));
  }

  /** Deletes a content-addressed artifact that no version references (after a failed registration). */
  private async releaseArtifactIfUnused(sha256: string): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [sha256]);
        const used = await tx.getRepository(ModelVersionEntity).existsBy({ artifactSha256: sha256 });
        if (!used) await this.store.delete(artifactKey(sha256));
      });
    } catch (err) {
      this.logger.error({ err, sha256 }, 'could not release an unused artifact');
    }
  }

  async getVersion(caller: Caller, id: string): Promise<ModelVersionEntity> {
    const version = isUuid(id) ? await this.db.getRepository(ModelVersionEntity).findOneBy({ id }) : null;
    if (!version || !caller.ability.can('read', asSubject('ModelVersion', { ...version }))) {
      throw new RegistryError(RegistryErrorCode.MODEL_VERSION_NOT_FOUND, `No model version with id ${id} is visible to you.`);
    }
    return version;
  }

  /**
   * A version by id with no access check, for contexts that have already
   * authorised their caller against their own resource (a deployment serving
   * the version, say). MODEL_VERSION_NOT_FOUND if it does not exist.
   */
  async versionById(id: string): Promise<ModelVersionEntity> {
    const version = isUuid(id) ? await this.db.getRepository(ModelVersionEntity).findOneBy({ id }) : null;
    if (!version) throw new RegistryError(RegistryErrorCode.MODEL_VERSION_NOT_FOUND, `No model version with id ${id}.`);
    return version;
  }

  /** A version by number or alias of a model. */
  async resolveVersion(caller: Caller, modelId: string, ref: { version?: number | null; alias?: string | null }): Promise<ModelVersionEntity> {
    const model = await this.getModel(caller, modelId);
    let version: ModelVersionEntity | null = null;
    if (ref.alias) {
      const alias = await this.db.getRepository(ModelAliasEntity).findOneBy({ modelId: model.id, alias: validateAlias(ref.alias) });
      if (!alias) throw new RegistryError(RegistryErrorCode.ALIAS_NOT_FOUND, `Model "${model.name}" has no alias "${ref.alias}".`);
      version = await this.db.getRepository(ModelVersionEntity).findOneBy({ id: alias.versionId });
    } else if (ref.version) {
      version = await this.db.getRepository(ModelVersionEntity).findOneBy({ modelId: model.id, version: ref.version });
    } else {
      throw new RegistryError(RegistryErrorCode.INVALID_ARGUMENT, 'Name a version number or an alias.');
    }
    if (!version) throw new RegistryError(RegistryErrorCode.MODEL_VERSION_NOT_FOUND, `Model "${model.name}" has no version ${ref.version}.`);
    return version;
  }

  async listVersions(caller: Caller, modelId: string, filter: VersionFilter, page: PageRequest): Promise<Page<ModelVersionEntity>> {
    const model = await this.getModel(caller, modelId);
    const limit = pageSize(page.first, this.options.maxPageSize);
    const qb = this.db
      .getRepository(ModelVersionEntity)
      .createQueryBuilder('v')
      .where('v.model_id = :modelId', { modelId: model.id })
      .orderBy('v.version', 'DESC')
      .limit(limit + 1);
    if (filter.tag) qb.andWhere('v.tags @> ARRAY[:tag]::text[]', { tag: filter.tag });
    if (filter.format) qb.andWhere('v.format = :format', { format: validateFormat(filter.format) });
    if (filter.alias) qb.andWhere('EXISTS (SELECT 1 FROM model_aliases a WHERE a.version_id = v.id AND a.alias = :alias)', { alias: filter.alias });
    if (page.after) {
      const [version] = decodeCursor(page.after, 1, ['int']);
      qb.andWhere('v.version < :version', { version: Number(version) });
    }
    return toPage(await qb.getMany(), limit, (v) => [v.version]);
  }

  async updateVersion(caller: Caller, input: { id: string; description?: string | null; tags?: readonly string[] | null }): Promise<ModelVersionEntity> {
    const version = await this.getVersion(caller, input.id);
    assertCan(caller.ability, 'update', 'ModelVersion', { ...version });
    const patch: Partial<ModelVersionEntity> = {};
    if (input.description !== undefined && input.description !== null) patch.description = validateDescription(input.description);
    if (input.tags !== undefined && input.tags !== null) patch.tags = validateTags(input.tags);
    if (Object.keys(patch).length) await this.db.getRepository(ModelVersionEntity).update({ id: version.id }, patch);
    return this.db.getRepository(ModelVersionEntity).findOneByOrFail({ id: version.id });
  }

  // ---- aliases --------------------------------------------------------------

  /** Points an alias at a version, atomically, and records the move. */
  async setAlias(caller: Caller, input: { modelId: string; alias: string; version: number }): Promise<ModelAliasEntity> {
    const model = await this.getModel(caller, input.modelId);
    assertCan(caller.ability, 'update', 'ModelAlias', { projectId: model.projectId });
    const alias = validateAlias(input.alias);
    return this.db.transaction(async (tx) => {
      const target = await tx.getRepository(ModelVersionEntity).findOneBy({ modelId: model.id, version: input.version });
      if (!target) throw new RegistryError(RegistryErrorCode.MODEL_VERSION_NOT_FOUND, `Model "${model.name}" has no version ${input.version}.`);
      // Serialise moves of one alias: the model row lock orders concurrent moves.
      await tx.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where('m.id = :id', { id: model.id }).getOneOrFail();
      const current = await tx.getRepository(ModelAliasEntity).findOneBy({ modelId: model.id, alias });
      if (current?.versionId === target.id) return current;
      const now = this.clock.now();
      await tx.getRepository(ModelAliasEntity).upsert(
        { modelId: model.id, alias, versionId: target.id, projectId: model.projectId, updatedBy: caller.principal.userId, updatedAt: now },
        ['modelId', 'alias'],
      );
      await tx.getRepository(ModelAliasEventEntity).insert({
        modelId: model.id,
        alias,
        fromVersionId: current?.versionId ?? null,
        toVersionId: target.id,
        actorId: caller.principal.userId,
        at: now,
      });
      return tx.getRepository(ModelAliasEntity).findOneByOrFail({ modelId: model.id, alias });
    });
  }

  async removeAlias(caller: Caller, input: { modelId: string; alias: string }): Promise<boolean> {
    const model = await this.getModel(caller, input.modelId);
    assertCan(caller.ability, 'delete', 'ModelAlias', { projectId: model.projectId });
    const alias = validateAlias(input.alias);
    return this.db.transaction(async (tx) => {
      await tx.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where('m.id = :id', { id: model.id }).getOneOrFail();
      const current = await tx.getRepository(ModelAliasEntity).findOneBy({ modelId: model.id, alias });
      if (!current) return false;
      await tx.getRepository(ModelAliasEntity).delete({ modelId: model.id, alias });
      await tx.getRepository(ModelAliasEventEntity).insert({
        modelId: model.id,
        alias,
        fromVersionId: current.versionId,
        toVersionId: null,
        actorId: caller.principal.userId,
        at: this.clock.now(),
      });
      return true;
    });
  }

  async aliasesOfModel(caller: Caller, modelId: string): Promise<ModelAliasEntity[]> {
    const model = await this.getModel(caller, modelId);
    return this.db.getRepository(ModelAliasEntity).find({ where: { modelId: model.id }, order: { alias: 'ASC' } });
  }

  async aliasesOfVersions(versionIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows = versionIds.length
      ? await this.db.getRepository(ModelAliasEntity).createQueryBuilder('a').where('a.version_id = ANY(:ids)', { ids: [...versionIds] }).orderBy('a.alias').getMany()
      : [];
    const out = new Map<string, string[]>();
    for (const row of rows) out.set(row.versionId, [...(out.get(row.versionId) ?? []), row.alias]);
    return out;
  }

  async aliasHistory(caller: Caller, modelId: string, alias?: string | null): Promise<ModelAliasEventEntity[]> {
    const model = await this.getModel(caller, modelId);
    const where = alias ? { modelId: model.id, alias: validateAlias(alias) } : { modelId: model.id };
    return this.db.getRepository(ModelAliasEventEntity).find({ where, order: { id: 'ASC' } });
  }

  // ---- artifacts ------------------------------------------------------------

  /** A short-lived download link, given only to callers who may read the version. */
  async artifactDownloadUrl(caller: Caller, versionId: string, ttlSeconds = 300): Promise<string> {
    const version = await this.getVersion(caller, versionId);
    const presigned = await this.store.presignGet(version.artifactKey, ttlSeconds);
    return presigned ?? `${this.options.publicUrl()}/v1/artifacts/${version.id}`;
  }

  async openArtifact(caller: Caller, versionId: string): Promise<{ version: ModelVersionEntity; body: Readable }> {
    const version = await this.getVersion(caller, versionId);
    return { version, body: await this.store.get(version.artifactKey) };
  }

  /** Expires open uploads past their deadline and deletes their bytes (run as a scheduled job). */
  async expireUploads(): Promise<number> {
    const expired = await this.db
      .getRepository(ArtifactUploadEntity)
      .createQueryBuilder()
      .update()
      .set({ status: 'EXPIRED', finishedAt: this.clock.now() })
      .where('status IN (:...open) AND expires_at <= :now', { open: OPEN_UPLOAD, now: this.clock.now() })
      .returning(['id'])
      .execute();
    const ids = (expired.raw as { id: string }[]).map((r) => r.id);
    for (const id of ids) await this.store.delete(stagingKey(id));
    if (ids.length) this.logger.info({ count: ids.length }, 'expired unused artifact uploads');
    return ids.length;
  }
}
