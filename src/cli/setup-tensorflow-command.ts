import { UGATITError } from '../errors';
import { DEFAULT_TENSORFLOW_VERSION } from '../native/tensorflow-wheel';
import { setupTensorflow } from '../native/setup-tensorflow';
import { parseCommandArgs } from './args';

/** `--help` text of `ugatit-tf setup-tensorflow`. */
export const SETUP_TENSORFLOW_HELP = `Usage: ugatit-tf setup-tensorflow [--wheel <file> | --from <dir>] [--gpu] [--version <v>] [--force]

Makes the native backend (@tensorflow/tfjs-node, or -gpu with --gpu) usable where its own
install cannot download libtensorflow (blocked networks, or CUDA versions its 2.9 build no
longer supports): takes TensorFlow's C library and headers from a current TensorFlow wheel,
compiles tfjs-node's binding against them with node-gyp, and checks it with one op.
Install the package first without its download step:  npm i --ignore-scripts @tensorflow/tfjs-node
Needs Linux (x64 or arm64), Python 3 with pip, a C++ compiler and make. Reruns are no-ops.

Options:
  --wheel <file>    a TensorFlow wheel (.whl) to use instead of downloading one
  --from <dir>      an installed TensorFlow package folder (python -c "import tensorflow, os;
                    print(os.path.dirname(tensorflow.__file__))") to take the library from
  --gpu             @tensorflow/tfjs-node-gpu with the CUDA 12 tensorflow wheel and the
                    nvidia-* libraries of its and-cuda extra (needs an NVIDIA driver for CUDA 12)
  --version <v>     TensorFlow version to download (default ${DEFAULT_TENSORFLOW_VERSION})
  --force           rebuild even when a working build is already there
`;

/** Runs `ugatit-tf setup-tensorflow`. */
export async function setupTensorflowCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseCommandArgs('setup-tensorflow', argv, {
    wheel: { type: 'string' }, from: { type: 'string' }, gpu: { type: 'boolean', default: false },
    version: { type: 'string' }, force: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new UGATITError(`setup-tensorflow: unexpected argument ${JSON.stringify(positionals[0])} (see ugatit-tf setup-tensorflow --help)`);
  if (v.version !== undefined && !/^\d+\.\d+\.\d+$/.test(v.version)) {
    throw new UGATITError(`setup-tensorflow: --version must look like ${DEFAULT_TENSORFLOW_VERSION}, received ${JSON.stringify(v.version)}`);
  }
  await setupTensorflow({
    variant: v.gpu ? 'gpu' : 'cpu', wheel: v.wheel, from: v.from, version: v.version, force: v.force,
    onProgress: (m) => process.stderr.write(`${m}\n`),
  });
}
