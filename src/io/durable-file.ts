type Fs = typeof import('node:fs/promises');

/**
 * Writes a file and flushes it to the disk before returning, so that a rename that follows
 * never exposes a file whose bytes were lost in a crash. `flag` `'wx'` refuses to overwrite.
 */
export async function writeFileDurably(fs: Fs, file: string, bytes: Uint8Array | string, flag: 'w' | 'wx' = 'w'): Promise<void> {
  const handle = await fs.open(file, flag);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
