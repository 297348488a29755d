import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { RegistryService } from '../domain/registry.service';
import {
  ArtifactUploadObject,
  CreateArtifactUploadInput,
  CreateModelInput,
  ModelAliasEventObject,
  ModelAliasObject,
  ModelConnection,
  ModelFilterInput,
  ModelObject,
  ModelVersionConnection,
  ModelVersionFilterInput,
  ModelVersionObject,
  RegisterModelVersionInput,
  RemoveModelAliasInput,
  SetModelAliasInput,
  UpdateModelInput,
  UpdateModelVersionInput,
} from './registry.objects';

@Resolver(() => ModelObject)
export class ModelResolver {
  constructor(private readonly registry: RegistryService) {}

  @Query(() => ModelConnection, { description: 'Models in every project the caller may read, filtered and paged by name.' })
  @Can('read', 'Model')
  async models(
    @CurrentCaller() caller: Caller,
    @Args() page: PageArgs,
    @Args('filter', { type: () => ModelFilterInput, nullable: true }) filter?: ModelFilterInput,
  ): Promise<Connection<ModelObject>> {
    return toConnection(await this.registry.listModels(caller, filter ?? {}, page), ModelObject.from);
  }

  @Query(() => ModelObject, { description: 'A model by id, or by project and name.' })
  @Can('read', 'Model')
  async model(
    @CurrentCaller() caller: Caller,
    @Args('id', { type: () => ID, nullable: true }) id?: string,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
    @Args('name', { type: () => String, nullable: true }) name?: string,
  ): Promise<ModelObject> {
    const model = id ? await this.registry.getModel(caller, id) : await this.registry.getModelByName(caller, projectId ?? '', name ?? '');
    return ModelObject.from(model);
  }

  @ResolveField(() => ModelVersionConnection)
  @Can('read', 'ModelVersion')
  async versions(
    @CurrentCaller() caller: Caller,
    @Parent() model: ModelObject,
    @Args() page: PageArgs,
    @Args('filter', { type: () => ModelVersionFilterInput, nullable: true }) filter?: ModelVersionFilterInput,
  ): Promise<Connection<ModelVersionObject>> {
    return toConnection(await this.registry.listVersions(caller, model.id, filter ?? {}, page), ModelVersionObject.from);
  }

  @ResolveField(() => ModelVersionObject, { nullable: true, description: 'A version by number or alias.' })
  @Can('read', 'ModelVersion')
  async version(
    @CurrentCaller() caller: Caller,
    @Parent() model: ModelObject,
    @Args('version', { type: () => Int, nullable: true }) version?: number,
    @Args('alias', { type: () => String, nullable: true }) alias?: string,
  ): Promise<ModelVersionObject> {
    return ModelVersionObject.from(await this.registry.resolveVersion(caller, model.id, { version, alias }));
  }

  @ResolveField(() => [ModelAliasObject])
  @Can('read', 'ModelAlias')
  async aliases(@CurrentCaller() caller: Caller, @Parent() model: ModelObject): Promise<ModelAliasObject[]> {
    return (await this.registry.aliasesOfModel(caller, model.id)).map(ModelAliasObject.from);
  }

  @ResolveField(() => [ModelAliasEventObject], { description: 'Every move of the model’s aliases, oldest first.' })
  @Can('read', 'ModelAlias')
  async aliasHistory(
    @CurrentCaller() caller: Caller,
    @Parent() model: ModelObject,
    @Args('alias', { type: () => String, nullable: true }) alias?: string,
  ): Promise<ModelAliasEventObject[]> {
    return (await this.registry.aliasHistory(caller, model.id, alias)).map(ModelAliasEventObject.from);
  }

  @Mutation(() => ModelObject)
  @Can('create', 'Model')
  async createModel(@CurrentCaller() caller: Caller, @Args('input') input: CreateModelInput): Promise<ModelObject> {
    return ModelObject.from(await this.registry.createModel(caller, input));
  }

  @Mutation(() => ModelObject)
  @Can('update', 'Model')
  async updateModel(@CurrentCaller() caller: Caller, @Args('input') input: UpdateModelInput): Promise<ModelObject> {
    return ModelObject.from(await this.registry.updateModel(caller, input));
  }

  @Mutation(() => ArtifactUploadObject, { description: 'Reserves an upload slot for an artifact of the given size and sha256.' })
  @Can('create', 'Upload')
  async createArtifactUpload(@CurrentCaller() caller: Caller, @Args('input') input: CreateArtifactUploadInput): Promise<ArtifactUploadObject> {
    const slot = await this.registry.createUpload(caller, input);
    return ArtifactUploadObject.from(slot.upload, slot);
  }

  @Mutation(() => ModelVersionObject, { description: 'Verifies an uploaded artifact and registers it as the next version of a model.' })
  @Can('create', 'ModelVersion')
  async registerModelVersion(@CurrentCaller() caller: Caller, @Args('input') input: RegisterModelVersionInput): Promise<ModelVersionObject> {
    return ModelVersionObject.from(await this.registry.registerVersion(caller, input));
  }

  @Mutation(() => ModelVersionObject)
  @Can('update', 'ModelVersion')
  async updateModelVersion(@CurrentCaller() caller: Caller, @Args('input') input: UpdateModelVersionInput): Promise<ModelVersionObject> {
    return ModelVersionObject.from(await this.registry.updateVersion(caller, input));
  }

  @Mutation(() => ModelAliasObject, { description: 'Points an alias (e.g. champion) at a version; the move is kept in aliasHistory.' })
  @Can('update', 'ModelAlias')
  async setModelAlias(@CurrentCaller() caller: Caller, @Args('input') input: SetModelAliasInput): Promise<ModelAliasObject> {
    return ModelAliasObject.from(await this.registry.setAlias(caller, input));
  }

  @Mutation(() => Boolean)
  @Can('delete', 'ModelAlias')
  async removeModelAlias(@CurrentCaller() caller: Caller, @Args('input') input: RemoveModelAliasInput): Promise<boolean> {
    return this.registry.removeAlias(caller, input);
  }
}

@Resolver(() => ModelVersionObject)
export class ModelVersionResolver {
  constructor(private readonly registry: RegistryService) {}

  @Query(() => ModelVersionObject)
  @Can('read', 'ModelVersion')
  async modelVersion(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<ModelVersionObject> {
    return ModelVersionObject.from(await this.registry.getVersion(caller, id));
  }

  @ResolveField(() => [String], { description: 'Aliases pointing at this version.' })
  @Can('read', 'ModelAlias')
  async aliases(@Parent() version: ModelVersionObject): Promise<string[]> {
    return (await this.registry.aliasesOfVersions([version.id])).get(version.id) ?? [];
  }

  @ResolveField(() => String, { description: 'A short-lived link to download the artifact (presigned for S3; send your token for the local store).' })
  @Can('read', 'ModelVersion')
  async artifactDownloadUrl(@CurrentCaller() caller: Caller, @Parent() version: ModelVersionObject): Promise<string> {
    return this.registry.artifactDownloadUrl(caller, version.id);
  }
}
