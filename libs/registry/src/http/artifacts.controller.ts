import { Controller, Get, HttpCode, Param, Put, Req, Res, StreamableFile } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { Authenticated, CurrentCaller, type Caller } from '@modelport/governance';
import { RegistryService } from '../domain/registry.service';
import { RegistryError, RegistryErrorCode } from '../domain/registry.errors';

interface RawBodyRequest {
  body?: unknown;
}

interface HeaderReply {
  header(name: string, value: string): unknown;
}

/** The local store's streaming upload endpoint and authorized artifact downloads. */
@Controller('v1')
export class ArtifactsController {
  constructor(private readonly registry: RegistryService) {}

  @Put('uploads/:id')
  @HttpCode(200)
  @Authenticated()
  async upload(@CurrentCaller() caller: Caller, @Param('id') id: string, @Req() req: RawBodyRequest) {
    const body = req.body as Readable | undefined;
    if (!body || typeof (body as Readable).pipe !== 'function') {
      throw new RegistryError(RegistryErrorCode.INVALID_ARGUMENT, 'Send the artifact bytes as the request body with Content-Type: application/octet-stream.');
    }
    const upload = await this.registry.receiveUpload(caller, id, body);
    return { id: upload.id, status: upload.status, sizeBytes: upload.expectedSize, sha256: upload.expectedSha256 };
  }

  @Get('artifacts/:versionId')
  @Authenticated()
  async download(@CurrentCaller() caller: Caller, @Param('versionId') versionId: string, @Res({ passthrough: true }) reply: HeaderReply) {
    const { version, body } = await this.registry.openArtifact(caller, versionId);
    reply.header('content-type', 'application/octet-stream');
    reply.header('content-length', String(version.artifactSize));
    reply.header('x-artifact-sha256', version.artifactSha256);
    reply.header('content-disposition', `attachment; filename="model-v${version.version}.${version.format === 'onnx' ? 'onnx' : 'bin'}"`);
    return new StreamableFile(body);
  }
}
