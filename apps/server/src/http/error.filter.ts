import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { LOGGER } from '@modelport/config';
import { isModelportError } from '@modelport/errors';
import type { Logger } from '@modelport/observability';

interface Reply {
  status(code: number): Reply;
  send(body: unknown): void;
  header(name: string, value: string): Reply;
}

/**
 * Maps errors on REST routes to `{"error": {"code", "message"}}` with the
 * matching HTTP status. GraphQL errors are formatted by the GraphQL layer, so
 * this filter rethrows them.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): unknown {
    // GraphQL errors are formatted by the GraphQL layer: hand them back untouched.
    if (host.getType<string>() === 'graphql') throw error;
    const reply = host.switchToHttp().getResponse<Reply>();
    if (isModelportError(error)) {
      return reply.status(error.httpStatus).send({ error: { code: error.code, message: error.message } });
    }
    if (error instanceof HttpException) {
      const body = error.getResponse();
      return reply.status(error.getStatus()).send(typeof body === 'object' ? body : { error: { code: 'HTTP_ERROR', message: body } });
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: (error as { code?: string }).code ?? 'BAD_REQUEST', message: (error as Error).message } });
    }
    this.logger.error({ err: error }, 'unhandled error on an HTTP route');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'Internal error; the server log has the details.' } });
  }
}
