import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType } from '@modelport/graphql';
import type { ArtifactUploadEntity, ModelAliasEntity, ModelAliasEventEntity, ModelEntity, ModelVersionEntity } from '../persistence';
import { MODEL_FORMATS } from '../domain/registry.types';

export enum ModelFormatValue {
  ONNX = 'onnx',
  PYTORCH = 'pytorch',
  TENSORFLOW = 'tensorflow',
  KERAS = 'keras',
  SKLEARN = 'sklearn',
  XGBOOST = 'xgboost',
  LIGHTGBM = 'lightgbm',
  PMML = 'pmml',
  CUSTOM = 'custom',
}
registerEnumType(ModelFormatValue, { name: 'ModelFormat', description: 'Serialisation format of an artifact. ONNX artifacts are parsed and their signature stored.' });
// Keep the GraphQL enum and the domain list in step.
if (Object.values(ModelFormatValue).join() !== MODEL_FORMATS.join()) throw new Error('ModelFormat enum out of step with MODEL_FORMATS');

@ObjectType('Model')
export class ModelObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) projectId!: string;
  @Field() name!: string;
  @Field() description!: string;
  @Field(() => ID) ownerId!: string;
  @Field(() => [String]) tags!: string[];
  @Field(() => Int, { description: 'Number of the newest version (0 when none is registered yet).' }) latestVersion!: number;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime) updatedAt!: Date;

  static from(e: ModelEntity): ModelObject {
    return Object.assign(new ModelObject(), {
      id: e.id,
      projectId: e.projectId,
      name: e.name,
      description: e.description,
      ownerId: e.ownerId,
      tags: e.tags,
      latestVersion: e.latestVersion,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
    });
  }
}
export const ModelConnection = ConnectionType(ModelObject, 'Model');

@ObjectType('TensorSpec', { description: 'One input or output tensor. Dimensions: a number, a symbolic name, or null when unknown.' })
export class TensorSpecObject {
  @Field() name!: string;
  @Field({ description: 'ONNX element type, e.g. FLOAT, INT64, STRING.' }) elementType!: string;
  @Field(() => [String], { nullable: true, description: 'Dimensions as strings: "3", "batch", or "?" for unknown; null when the rank is unknown.' })
  shape!: string[] | null;
  @Field({ description: 'tensor, sequence, map, optional or sparse_tensor.' }) kind!: string;
}

@ObjectType('Signature')
export class SignatureObject {
  @Field(() => [TensorSpecObject]) inputs!: TensorSpecObject[];
  @Field(() => [TensorSpecObject]) outputs!: TensorSpecObject[];
}

@ObjectType('Opset')
export class OpsetObject {
  @Field({ description: 'Operator domain; "" is the default ai.onnx domain.' }) domain!: string;
  @Field(() => Int) version!: number;
}

@ObjectType('OnnxInfo')
export class OnnxInfoObject {
  @Field(() => Int) irVersion!: number;
  @Field(() => [OpsetObject]) opsets!: OpsetObject[];
  @Field(() => String, { nullable: true }) producerName!: string | null;
  @Field(() => String, { nullable: true }) producerVersion!: string | null;
}

@ObjectType('LineageParameter')
export class LineageParameterObject {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType('LineageMetric')
export class LineageMetricObject {
  @Field() key!: string;
  @Field(() => Float) value!: number;
}

@ObjectType('Lineage')
export class LineageObject {
  @Field(() => String, { nullable: true }) trainingDataUri!: string | null;
  @Field(() => String, { nullable: true }) codeCommit!: string | null;
  @Field(() => [LineageParameterObject]) parameters!: LineageParameterObject[];
  @Field(() => [LineageMetricObject]) metrics!: LineageMetricObject[];
  @Field(() => String, { nullable: true }) trigger!: string | null;
  @Field(() => ID, { nullable: true, description: 'The refresh run this version answers, if any.' }) refreshRunId!: string | null;
}

@ObjectType('Artifact')
export class ArtifactObject {
  @Field() sha256!: string;
  @Field(() => Float, { description: 'Size in bytes.' }) sizeBytes!: number;
  @Field(() => ModelFormatValue) format!: ModelFormatValue;
}

@ObjectType('ModelVersion')
export class ModelVersionObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) modelId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => Int) version!: number;
  @Field() description!: string;
  @Field(() => [String]) tags!: string[];
  @Field(() => ArtifactObject) artifact!: ArtifactObject;
  @Field(() => SignatureObject, { nullable: true, description: 'Parsed from the artifact for ONNX; null for other formats.' }) signature!: SignatureObject | null;
  @Field(() => OnnxInfoObject, { nullable: true }) onnx!: OnnxInfoObject | null;
  @Field(() => LineageObject) lineage!: LineageObject;
  @Field(() => ID) createdBy!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(e: ModelVersionEntity): ModelVersionObject {
    const dims = (shape: (number | string | null)[] | null) => (shape ? shape.map((d) => (d === null ? '?' : String(d))) : null);
    return Object.assign(new ModelVersionObject(), {
      id: e.id,
      modelId: e.modelId,
      projectId: e.projectId,
      version: e.version,
      description: e.description,
      tags: e.tags,
      artifact: { sha256: e.artifactSha256, sizeBytes: e.artifactSize, format: e.format as ModelFormatValue },
      signature: e.signature
        ? {
            inputs: e.signature.inputs.map((t) => ({ ...t, shape: dims(t.shape) })),
            outputs: e.signature.outputs.map((t) => ({ ...t, shape: dims(t.shape) })),
          }
        : null,
      onnx: e.onnx,
      lineage: {
        trainingDataUri: e.lineage.trainingDataUri ?? null,
        codeCommit: e.lineage.codeCommit ?? null,
        parameters: e.lineage.parameters ?? [],
        metrics: e.lineage.metrics ?? [],
        trigger: e.lineage.trigger ?? null,
        refreshRunId: e.lineage.refreshRunId ?? null,
      },
      createdBy: e.createdBy,
      createdAt: e.createdAt,
    });
  }
}
export const ModelVersionConnection = ConnectionType(ModelVersionObject, 'ModelVersion');

@ObjectType('ModelAlias')
export class ModelAliasObject {
  @Field(() => ID) modelId!: string;
  @Field() alias!: string;
  @Field(() => ID) versionId!: string;
  @Field(() => ID) updatedBy!: string;
  @Field(() => GraphQLISODateTime) updatedAt!: Date;

  static from(e: ModelAliasEntity): ModelAliasObject {
    return Object.assign(new ModelAliasObject(), { modelId: e.modelId, alias: e.alias, versionId: e.versionId, updatedBy: e.updatedBy, updatedAt: e.updatedAt });
  }
}

@ObjectType('ModelAliasEvent', { description: 'One move of an alias; fromVersionId null means created, toVersionId null means removed.' })
export class ModelAliasEventObject {
  @Field(() => ID) id!: string;
  @Field() alias!: string;
  @Field(() => ID, { nullable: true }) fromVersionId!: string | null;
  @Field(() => ID, { nullable: true }) toVersionId!: string | null;
  @Field(() => ID) actorId!: string;
  @Field(() => GraphQLISODateTime) at!: Date;

  static from(e: ModelAliasEventEntity): ModelAliasEventObject {
    return Object.assign(new ModelAliasEventObject(), {
      id: String(e.id),
      alias: e.alias,
      fromVersionId: e.fromVersionId,
      toVersionId: e.toVersionId,
      actorId: e.actorId,
      at: e.at,
    });
  }
}

@ObjectType('UploadHeader')
export class UploadHeaderObject {
  @Field() name!: string;
  @Field() value!: string;
}

@ObjectType('ArtifactUpload', { description: 'A slot to upload one artifact: PUT the bytes to url with these headers, then registerModelVersion.' })
export class ArtifactUploadObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) projectId!: string;
  @Field() status!: string;
  @Field(() => Float) sizeBytes!: number;
  @Field() sha256!: string;
  @Field(() => String, { nullable: true }) url!: string | null;
  @Field() method!: string;
  @Field(() => [UploadHeaderObject]) headers!: UploadHeaderObject[];
  @Field(() => GraphQLISODateTime) expiresAt!: Date;

  static from(e: ArtifactUploadEntity, slot?: { url: string; method: string; headers: Record<string, string> }): ArtifactUploadObject {
    return Object.assign(new ArtifactUploadObject(), {
      id: e.id,
      projectId: e.projectId,
      status: e.status,
      sizeBytes: e.expectedSize,
      sha256: e.expectedSha256,
      url: slot?.url ?? null,
      method: slot?.method ?? 'PUT',
      headers: Object.entries(slot?.headers ?? {}).map(([name, value]) => ({ name, value })),
      expiresAt: e.expiresAt,
    });
  }
}

@InputType()
export class CreateModelInput {
  @Field(() => ID) projectId!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
}

@InputType()
export class UpdateModelInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [String], { nullable: true, description: 'Replaces all tags.' }) tags?: string[] | null;
}

@InputType()
export class CreateArtifactUploadInput {
  @Field(() => ID) projectId!: string;
  @Field(() => Float, { description: 'Exact size of the file in bytes.' }) sizeBytes!: number;
  @Field({ description: 'sha256 of the file, 64 hex characters.' }) sha256!: string;
}

@InputType()
export class LineageParameterInput {
  @Field() key!: string;
  @Field() value!: string;
}

@InputType()
export class LineageMetricInput {
  @Field() key!: string;
  @Field(() => Float) value!: number;
}

@InputType()
export class LineageInput {
  @Field(() => String, { nullable: true }) trainingDataUri?: string | null;
  @Field(() => String, { nullable: true }) codeCommit?: string | null;
  @Field(() => [LineageParameterInput], { nullable: true }) parameters?: LineageParameterInput[];
  @Field(() => [LineageMetricInput], { nullable: true }) metrics?: LineageMetricInput[];
  @Field(() => String, { nullable: true, description: 'What caused this version; filled from the refresh run when refreshRunId is given and this is not.' })
  trigger?: string | null;
  @Field(() => ID, { nullable: true, description: 'The runId of the refresh request this version answers: the run is completed and the version attached to its deployment as a shadow challenger.' })
  refreshRunId?: string | null;
}

@InputType()
export class RegisterModelVersionInput {
  @Field(() => ID) modelId!: string;
  @Field(() => ID) uploadId!: string;
  @Field() sha256!: string;
  @Field(() => Float) sizeBytes!: number;
  @Field(() => ModelFormatValue, { nullable: true, description: 'Defaults to ONNX; non-ONNX files must name their format.' }) format?: ModelFormatValue | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
  @Field(() => LineageInput, { nullable: true }) lineage?: LineageInput | null;
}

@InputType()
export class UpdateModelVersionInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [String], { nullable: true, description: 'Replaces all tags.' }) tags?: string[] | null;
}

@InputType()
export class SetModelAliasInput {
  @Field(() => ID) modelId!: string;
  @Field() alias!: string;
  @Field(() => Int) version!: number;
}

@InputType()
export class RemoveModelAliasInput {
  @Field(() => ID) modelId!: string;
  @Field() alias!: string;
}

@InputType()
export class ModelFilterInput {
  @Field(() => ID, { nullable: true }) projectId?: string | null;
  @Field(() => String, { nullable: true, description: 'Part of the name, ignoring case and Unicode form.' }) nameContains?: string | null;
  @Field(() => String, { nullable: true }) tag?: string | null;
  @Field(() => String, { nullable: true, description: 'Models that have this alias.' }) alias?: string | null;
  @Field(() => ModelFormatValue, { nullable: true, description: 'Models with at least one version in this format.' }) format?: ModelFormatValue | null;
}

@InputType()
export class ModelVersionFilterInput {
  @Field(() => String, { nullable: true }) tag?: string | null;
  @Field(() => String, { nullable: true }) alias?: string | null;
  @Field(() => ModelFormatValue, { nullable: true }) format?: ModelFormatValue | null;
}
