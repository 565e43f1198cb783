/**
 * URL of the module this code was bundled into: `import.meta.url` in the ESM build and under
 * tsx, `file://` + `__filename` in the CommonJS build (where `import.meta.url` is empty). Null
 * in a browser bundle without either. No Node import here: browser bundles include this file.
 */
export function moduleUrl(): string | null {
  try {
    const url = import.meta.url;
    if (url) return url;
  } catch {
    /* not an ES module */
  }
  return typeof __filename !== 'undefined' ? `file://${__filename}` : null;
}
