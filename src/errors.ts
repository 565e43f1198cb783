/**
 * Base class of every error this library throws on purpose.
 *
 * @example
 * ```ts
 * try { readSafetensors(bytes); } catch (e) { if (e instanceof UgatitError) console.error(e.message); }
 * ```
 */
export class UgatitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Bytes that are not a valid file of the expected format (safetensors, PyTorch checkpoint,
 * pickle, zip, our model format, an image). `part` names where in the file the problem was.
 */
export class UgatitFormatError extends UgatitError {
  /** Which part of the file was wrong, e.g. `'safetensors header'` or `'pickle opcode at byte 120'`. */
  readonly part: string;
  constructor(part: string, message: string) {
    super(`${part}: ${message}`);
    this.part = part;
  }
}

/** A configuration value or an input shape that the model cannot work with. */
export class UgatitConfigError extends UgatitError {}
