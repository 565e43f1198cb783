import { UGATITError } from '../errors';
import { intOption, parseCommandArgs } from './args';

/** `--help` text of `ugatit-tf dataset`. */
export const DATASET_HELP = `Usage: ugatit-tf dataset avatars --out <dir> [options]

Renders the avatar dataset deterministically: domain A = DiceBear avataaars (Pablo Stanley),
domain B = DiceBear adventurer (Lisa Wischofsky, CC BY 4.0), into <out>/{trainA,trainB,testA,testB}
with LICENSE.md (attribution) and manifest.json. Needs @dicebear/core, @dicebear/collection
and @resvg/resvg-js.

Options:
  --out <dir>          output folder (required)
  --count <n>          training images per domain (default 1000)
  --test-count <n>     test images per domain (default count/10)
  --size <n>           image side in pixels (default 128)
  --seed <s>           dataset seed (default 0); the same seed gives the same files
  --style-b <name>     style of domain B: adventurer (default) or lorelei (Lisa Wischofsky, CC0),
                       e.g. for fine-tuning the provided weights towards a new style
`;

/** Runs `ugatit-tf dataset`. */
export async function datasetCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseCommandArgs('dataset', argv, {
    out: { type: 'string' }, count: { type: 'string', default: '1000' }, 'test-count': { type: 'string' },
    size: { type: 'string', default: '128' }, seed: { type: 'string', default: '0' },
    'style-b': { type: 'string', default: 'adventurer' },
  });
  if (positionals.length !== 1 || positionals[0] !== 'avatars') {
    throw new UGATITError(`dataset: the only dataset is avatars, received ${positionals.length ? JSON.stringify(positionals.join(' ')) : 'none'} (see ugatit-tf dataset --help)`);
  }
  if (!v.out) throw new UGATITError('dataset: --out <dir> is required');
  const { renderAvatarDataset, AVATAR_STYLES_B } = await import('../datasets/avatars');
  const styleB = v['style-b'] as string;
  const styles = Object.keys(AVATAR_STYLES_B);
  if (!styles.includes(styleB)) {
    throw new UGATITError(`dataset: --style-b must be one of ${styles.join(', ')}, received ${JSON.stringify(styleB)}`);
  }
  const tty = process.stderr.isTTY;
  const start = performance.now();
  const seed = /^\d+$/.test(v.seed as string) ? Number(v.seed) : (v.seed as string);
  const result = await renderAvatarDataset({
    out: v.out as string, count: intOption('dataset', 'count', v.count as string, 1)!,
    testCount: intOption('dataset', 'test-count', v['test-count'] as string | undefined, 0), size: intOption('dataset', 'size', v.size as string, 8),
    seed, styleB: styleB as keyof typeof AVATAR_STYLES_B,
    onProgress: (p) => { if (tty && (p.done % 20 === 0 || p.done === p.total)) process.stderr.write(`\r${p.done}/${p.total} ${p.split}`); },
  });
  if (tty) process.stderr.write('\n');
  const c = result.counts;
  console.log(`wrote ${c.trainA}+${c.trainB} training and ${c.testA}+${c.testB} test images (${result.size} px) to ${result.out} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}
