// pngjs ships a browserified, self-contained build (its own zlib and Buffer polyfills) that
// loads in browsers and in Node alike; @types/pngjs only describes the Node entry point.
declare module 'pngjs/browser.js' {
  import type { PNG } from 'pngjs';
  const pngjs: { PNG: typeof PNG };
  export default pngjs;
}
