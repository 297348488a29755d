export enum OnnxParseErrorCode {
  /** The file has no bytes at all. */
  EMPTY_FILE = 'EMPTY_FILE',
  /** The file is recognisably another format (ZIP, pickle, HDF5, text, ...). */
  NOT_ONNX = 'NOT_ONNX',
  /** The stream ends in the middle of a field. */
  TRUNCATED = 'TRUNCATED',
  /** The bytes are not a well-formed ONNX ModelProto (bad wire format, wrong wire types, bad UTF-8, ...). */
  MALFORMED = 'MALFORMED',
  /** ModelProto.ir_version is missing or outside the supported range. */
  INVALID_IR_VERSION = 'INVALID_IR_VERSION',
  /** ModelProto has no graph. */
  MISSING_GRAPH = 'MISSING_GRAPH',
  /** The graph declares no outputs. */
  MISSING_OUTPUTS = 'MISSING_OUTPUTS',
  /** ModelProto has no opset_import. */
  MISSING_OPSET_IMPORT = 'MISSING_OPSET_IMPORT',
  /** A graph input or output cannot be described (no name, no type, opaque type). */
  INVALID_SIGNATURE = 'INVALID_SIGNATURE',
  /** The signature, names and opset imports need more memory than maxMetadataBytes. */
  METADATA_TOO_LARGE = 'METADATA_TOO_LARGE',
}

const EXPLICIT_FORMAT_HINT = 'register it with an explicit format if it is not ONNX';

/** Raised when an uploaded artifact cannot be read as an ONNX model; `code` says why. */
export class OnnxParseError extends Error {
  override readonly name = 'OnnxParseError';

  constructor(
    readonly code: OnnxParseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static emptyFile(): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.EMPTY_FILE,
      'The file is empty (0 bytes), so it is not an ONNX model: upload the model file again and check that the ' +
        'upload sends its content.',
    );
  }

  static otherFormat(format: string, cause?: unknown): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.NOT_ONNX,
      `The file is not an ONNX model: it looks like ${format} (${EXPLICIT_FORMAT_HINT}, or export the model to ONNX ` +
        'first).',
      { cause },
    );
  }

  static truncated(position: number, section: string, cause?: unknown): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.TRUNCATED,
      `The file ends after ${position} bytes, in the middle of ${section}: the ONNX model is truncated (upload the ` +
        `complete file again) or the file is not an ONNX model (${EXPLICIT_FORMAT_HINT}).`,
      { cause },
    );
  }

  static malformed(problem: string, section: string, cause?: unknown): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.MALFORMED,
      `The file is not an ONNX model: ${problem} in ${section} (${EXPLICIT_FORMAT_HINT}; if it is ONNX, the file ` +
        'is corrupt: export it again).',
      { cause },
    );
  }

  static missingIrVersion(): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.INVALID_IR_VERSION,
      'The file is not an ONNX model: it has no ir_version, which every ONNX model declares ' +
        `(${EXPLICIT_FORMAT_HINT}; if it is ONNX, export it again with a current exporter).`,
    );
  }

  static invalidIrVersion(irVersion: number, min: number, max: number): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.INVALID_IR_VERSION,
      `The file is not a supported ONNX model: its ir_version is ${irVersion}, expected ${min} to ${max} ` +
        `(${EXPLICIT_FORMAT_HINT}; if it is ONNX, export it again with a current exporter).`,
    );
  }

  static missingGraph(): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.MISSING_GRAPH,
      'The file is not a usable ONNX model: it has no graph (it may be a bare function library or a ' +
        `damaged export; export the model again, or ${EXPLICIT_FORMAT_HINT}).`,
    );
  }

  static missingOutputs(): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.MISSING_OUTPUTS,
      'The ONNX model cannot be served: its graph declares no outputs. Export it again with at least one ' +
        `output (or ${EXPLICIT_FORMAT_HINT}).`,
    );
  }

  static missingOpsetImport(): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.MISSING_OPSET_IMPORT,
      'The file is not a usable ONNX model: it declares no opset_import, so its operators cannot be resolved. ' +
        `Export it again with a current exporter (or ${EXPLICIT_FORMAT_HINT}).`,
    );
  }

  static invalidSignature(problem: string): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.INVALID_SIGNATURE,
      `The ONNX model's signature cannot be read: ${problem}. Export the model again with named, typed graph ` +
        'inputs and outputs.',
    );
  }

  static metadataTooLarge(limit: number, section: string): OnnxParseError {
    return new OnnxParseError(
      OnnxParseErrorCode.METADATA_TOO_LARGE,
      `The ONNX model's metadata (graph inputs and outputs, names and opset imports) is larger than the limit of ` +
        `${limit} bytes, reached while reading ${section}. If the model is genuine, ask an administrator to raise ` +
        'the metadata limit; otherwise check that the file is really an ONNX model.',
    );
  }
}
