import { runProcess } from './processes';

/** The Python with what bench/pytorch/requirements.txt lists, or the reason the tests needing it skip. */
export type PythonStatus = { python: string; torch: string } | { python?: undefined; skip: string };

/**
 * Finds `$UGATIT_PYTHON` (default `python3`) with torch (gloo), numpy, safetensors and Pillow;
 * `npm test` installs what is missing first (scripts/ensure-python.mjs).
 */
export async function findPython(): Promise<PythonStatus> {
  if (process.env.UGATIT_NO_PYTHON) return { skip: 'UGATIT_NO_PYTHON is set' };
  const python = process.env.UGATIT_PYTHON || 'python3';
  const r = await runProcess(python, ['-c', [
    'import numpy, safetensors, PIL, torch, torch.distributed as dist',
    "assert dist.is_gloo_available(), 'this torch has no gloo backend'",
    'print(torch.__version__)',
  ].join('\n')], process.cwd(), 60_000);
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').pop() || `exit code ${r.code}`;
    return { skip: `${python} cannot run the PyTorch trainer (${why}); install with '${python} -m pip install -r bench/pytorch/requirements.txt' or run 'node scripts/ensure-python.mjs'` };
  }
  return { python, torch: r.stdout.trim() };
}
