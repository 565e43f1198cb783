/**
 * `import.meta.url` for the CommonJS build, which tsup.config.ts injects there only: the URL of
 * the chunk the code was bundled into, as in the ESM build.
 */
export const importMetaUrl: string = typeof __filename !== 'undefined' ? `file://${__filename}` : '';
