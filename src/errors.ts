/**
 * Base class of every error this library throws on purpose.
 *
 * @example
 * ```ts
 * try { readSafetensors(bytes); } catch (e) { if (e instanceof UGATITError) console.error(e.message); }
 * ```
 */
export class UGATITError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Bytes that are not a valid file of the expected format (safetensors, PyTorch checkpoint,
 * pickle, zip, our model format, an image). `part` names where in the file the problem was.
 */
export class UGATITFormatError extends UGATITError {
  /** Which part of the file was wrong, e.g. `'safetensors header'` or `'pickle opcode at byte 120'`. */
  readonly part: string;
  constructor(part: string, message: string) {
    super(`${part}: ${message}`);
    this.part = part;
  }
}

/** A configuration value or an input shape that the model cannot work with. */
export class UGATITConfigError extends UGATITError {}

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link UGATITError}; this alias is kept for existing code and goes in the next major version. */
export const UgatitError = UGATITError;
/** @deprecated Renamed {@link UGATITError}; this alias is kept for existing code and goes in the next major version. */
export type UgatitError = UGATITError;

/** @deprecated Renamed {@link UGATITFormatError}; this alias is kept for existing code and goes in the next major version. */
export const UgatitFormatError = UGATITFormatError;
/** @deprecated Renamed {@link UGATITFormatError}; this alias is kept for existing code and goes in the next major version. */
export type UgatitFormatError = UGATITFormatError;

/** @deprecated Renamed {@link UGATITConfigError}; this alias is kept for existing code and goes in the next major version. */
export const UgatitConfigError = UGATITConfigError;
/** @deprecated Renamed {@link UGATITConfigError}; this alias is kept for existing code and goes in the next major version. */
export type UgatitConfigError = UGATITConfigError;
