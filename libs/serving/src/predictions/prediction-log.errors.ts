import { ModelportError, type ErrorKind } from '@modelport/errors';

/**
 * Error codes of the prediction log. Named for the prediction log rather than the whole serving
 * context so that they can be merged into the context's own enum without a clash.
 */
export enum PredictionLogErrorCode {
  PREDICTION_NOT_FOUND = 'PREDICTION_NOT_FOUND',
  PREDICTION_LOG_FULL = 'PREDICTION_LOG_FULL',
  INVALID_PAYLOAD_POLICY = 'INVALID_PAYLOAD_POLICY',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
}

const KIND: Record<PredictionLogErrorCode, ErrorKind> = {
  PREDICTION_NOT_FOUND: 'NOT_FOUND',
  PREDICTION_LOG_FULL: 'UNAVAILABLE',
  INVALID_PAYLOAD_POLICY: 'BAD_USER_INPUT',
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
};

export class PredictionLogError extends ModelportError {
  constructor(code: PredictionLogErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'PredictionLogError';
  }

  static notFound(id: string): PredictionLogError {
    return new PredictionLogError(
      PredictionLogErrorCode.PREDICTION_NOT_FOUND,
      `No prediction with id ${JSON.stringify(id)} is in the log. Use the prediction_id from the response parameters; ` +
        'rows older than the retention period are deleted.',
    );
  }

  /**
   * What the gateway answers (HTTP 503 / gRPC UNAVAILABLE) when `PredictionLogWriter.tryAppend`
   * returns false: the prediction is refused rather than served without its log row.
   */
  static logFull(bufferRows: number): PredictionLogError {
    return new PredictionLogError(
      PredictionLogErrorCode.PREDICTION_LOG_FULL,
      `The server is shedding load: its prediction log buffer (${bufferRows} rows) is full because the database is slow or ` +
        'unreachable, and every prediction must be logged. Retry in a few seconds; operators can check the prediction log metrics.',
      { retryAfterSeconds: 1 },
    );
  }
}
