export enum StorageErrorCode {
  OBJECT_NOT_FOUND = 'OBJECT_NOT_FOUND',
  INVALID_KEY = 'INVALID_KEY',
  ARTIFACT_TOO_LARGE = 'ARTIFACT_TOO_LARGE',
  SIZE_MISMATCH = 'SIZE_MISMATCH',
  STORAGE_UNAVAILABLE = 'STORAGE_UNAVAILABLE',
}

/** The one error type the artifact store throws for expected failures; `code` says which. */
export class StorageError extends Error {
  override readonly name = 'StorageError';

  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static notFound(key: string): StorageError {
    return new StorageError(
      StorageErrorCode.OBJECT_NOT_FOUND,
      `Object ${quote(key)} does not exist in the artifact store; it was never uploaded or has been deleted.`,
    );
  }

  static invalidKey(key: unknown, reason: string): StorageError {
    return new StorageError(
      StorageErrorCode.INVALID_KEY,
      `Invalid storage key ${quote(key)}: ${reason}. Keys are relative paths of lowercase letters, digits, ".", "_", "-" and "/" (at most 512 characters, 255 between slashes).`,
    );
  }

  static tooLarge(maxBytes: number): StorageError {
    return new StorageError(
      StorageErrorCode.ARTIFACT_TOO_LARGE,
      `The artifact is larger than the limit of ${maxBytes} bytes. Upload a smaller file or ask an operator to raise MODELPORT_MAX_ARTIFACT_BYTES.`,
    );
  }

  static sizeMismatch(expected: number, received: string): StorageError {
    return new StorageError(
      StorageErrorCode.SIZE_MISMATCH,
      `The upload declared ${expected} bytes but ${received}. The transfer was cut short or the declared size is wrong; retry the upload with the exact file size.`,
    );
  }

  static unavailable(target: string, detail: string, cause?: unknown): StorageError {
    return new StorageError(
      StorageErrorCode.STORAGE_UNAVAILABLE,
      `Artifact storage ${target} is unavailable: ${detail}. Check that it exists, is reachable and is writable with the configured credentials.`,
      { cause },
    );
  }
}

function quote(key: unknown): string {
  const text = typeof key === 'string' ? key : String(key);
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
