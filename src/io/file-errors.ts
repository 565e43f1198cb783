/**
 * Node file-system error codes that mean the files are not where, or not what, a format
 * expects: missing, or a file where a folder should be (or the reverse). Readers report these
 * as a broken format (`UGATITFormatError`); every other code (EACCES, EIO, EMFILE, ENOSPC, …)
 * is a failure to read that says nothing about the files, and is thrown as Node reports it.
 */
const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * Whether `e` is a Node file-system error saying the path is missing or of the wrong kind.
 *
 * @example
 * ```ts
 * const text = await fs.readFile(file, 'utf8').catch((e) => { if (isAbsentFileError(e)) return null; throw e; });
 * ```
 */
export function isAbsentFileError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && ABSENT_CODES.has((e as { code?: unknown }).code as string);
}

/**
 * Whether `e` is a failed system call other than a missing or misplaced path (EACCES, EIO,
 * EMFILE, ENOSPC, …): a failure to read, which says nothing about whether the files are
 * complete, so a caller must not treat it as a broken file.
 *
 * @example
 * ```ts
 * try { await load(folder); } catch (e) { if (isReadFailure(e)) throw e; skip(folder); }
 * ```
 */
export function isReadFailure(e: unknown): boolean {
  return typeof e === 'object' && e !== null && typeof (e as { syscall?: unknown }).syscall === 'string'
    && typeof (e as { code?: unknown }).code === 'string' && !isAbsentFileError(e);
}
