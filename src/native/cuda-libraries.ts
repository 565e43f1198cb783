import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { UGATITError } from '../errors';
import { runCommand } from './run-command';
import { wheelCacheDir } from './tensorflow-wheel';

// The `and-cuda` extra of the `tensorflow` wheel pins the nvidia-* wheels (cuBLAS, cuDNN, …)
// its CUDA kernels were built with; its C library dlopens them by soname, searching its own
// RUNPATH ($ORIGIN), so they go flat next to it.
const CUDA_REQUIREMENTS = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
    for line in z.read(meta).decode().splitlines():
        if line.startswith('Requires-Dist:') and 'extra == "and-cuda"' in line:
            print(line.split(':', 1)[1].split(';')[0].strip().replace(' ', ''))
`;

const EXTRACT_SHARED_LIBS = `
import glob, os, re, shutil, sys, zipfile
dest = sys.argv[1]
n = 0
for wheel in sys.argv[2:]:
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            if re.match(r'^nvidia/[^/]+/lib/[^/]+\\.so(\\.[0-9]+)*$', info.filename):
                with z.open(info) as src, open(os.path.join(dest, os.path.basename(info.filename)), 'wb') as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                n += 1
print(n)
`;

/**
 * Downloads the CUDA libraries a GPU `tensorflow` wheel requires (its `and-cuda` extra) and
 * unpacks their shared libraries into `libDir`.
 *
 * @returns the requirements installed, e.g. `nvidia-cudnn-cu12==9.3.0.75`.
 */
export async function installCudaLibraries(python: string, tensorflowWheel: string, libDir: string, onLine?: (line: string) => void): Promise<string[]> {
  const requirements = (await runCommand('reading the wheel metadata', python, ['-c', CUDA_REQUIREMENTS, tensorflowWheel])).split('\n').filter(Boolean);
  if (requirements.length === 0) {
    throw new UGATITError(`setup-tensorflow --gpu: ${path.basename(tensorflowWheel)} lists no CUDA libraries (extra "and-cuda"); pass a CUDA build of tensorflow`);
  }
  const dir = path.join(wheelCacheDir(), 'cuda');
  mkdirSync(dir, { recursive: true });
  await runCommand('pip download of the CUDA libraries', python, ['-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:', '--dest', dir, ...requirements], { onLine });
  const wheels = requirements.map((r) => r.split(/[=<>!~]/)[0]!.replace(/-/g, '_'));
  const { readdirSync } = await import('node:fs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.whl') && wheels.some((w) => f.toLowerCase().startsWith(w.toLowerCase() + '-')));
  await runCommand('unpacking the CUDA libraries', python, ['-c', EXTRACT_SHARED_LIBS, libDir, ...files.map((f) => path.join(dir, f))]);
  return requirements;
}
