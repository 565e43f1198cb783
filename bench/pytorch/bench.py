"""Times the ugatit-tf bench workloads (bench/workloads.ts) with PyTorch on the CPU.

  python bench/pytorch/bench.py --threads 2 [--only light256,train128] [--runs 3] [--json out.json]
"""
import argparse
import json
import pathlib
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import ugatit_torch as U  # noqa: E402


def rand_images(n, size):
    return torch.rand(n, 3, size, size) * 2 - 1


def inference(light, batch, size=256):
    g = U.ResnetGenerator(3, 3, ngf=64, n_blocks=4, img_size=size, light=light).eval()
    x = rand_images(batch, size)

    def run():
        with torch.no_grad():
            g(x)
    return run, batch


def training(size=128, ch=16):
    nets = U.build(ngf=ch, ndf=ch, n_blocks=4, img_size=size, light=True)
    for net in nets.values():
        net.train()
    opts = U.optimizers(nets)
    real_A, real_B = rand_images(1, size), rand_images(1, size)
    return (lambda: U.train_step(nets, opts, real_A, real_B)), 1


WORKLOADS = {
    'light256': ('light generator (ngf 64, 4 blocks) 256², 1 image: latency', 'image',
                 lambda: inference(True, 1)),
    'light256x4': ('light generator 256², batch of 4: throughput', 'image', lambda: inference(True, 4)),
    'full256': ('full generator (ngf 64, 4 blocks) 256², 1 image', 'image', lambda: inference(False, 1)),
    'train128': ('one training iteration, 128², ngf 16, light, batch 1', 'iteration', training),
}


def measure(name, runs):
    description, unit, prepare = WORKLOADS[name]
    torch.manual_seed(0)
    run, items = prepare()
    t0 = time.perf_counter()
    run()
    warmup = time.perf_counter() - t0
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        run()
        wall.append((time.perf_counter() - t0) / items)
        cpu.append((time.process_time() - c0) / items)
    median = statistics.median(wall)
    return dict(name=name, description=description, unit=unit, items=items, runs=runs,
                seconds_per_item=dict(median=median, min=min(wall), max=max(wall), samples=wall),
                cpu_seconds_per_item=statistics.median(cpu), warmup_seconds=warmup,
                throughput=1 / median)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, help='torch.set_num_threads (default: torch default)')
    p.add_argument('--only', default=','.join(WORKLOADS), help='comma-separated workloads')
    p.add_argument('--runs', type=int, default=3, help='timed runs after one warm-up')
    p.add_argument('--json', help='also write the results to this file')
    a = p.parse_args()
    names = [n.strip() for n in a.only.split(',') if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown or a.runs < 1:
        p.error(f'unknown workload(s) {unknown}; known: {", ".join(WORKLOADS)}' if unknown else '--runs must be >= 1')
    if a.threads:
        torch.set_num_threads(a.threads)

    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s), {platform.processor() or platform.machine()}')
    header = f'{"workload":<11} {"unit":<9} {"median s":>9} {"min s":>8} {"max s":>8} {"cpu s":>8} {"per s":>7}  runs'
    print(header)
    results = []
    for name in names:
        r = measure(name, a.runs)
        results.append(r)
        s = r['seconds_per_item']
        print(f'{name:<11} {r["unit"]:<9} {s["median"]:9.3f} {s["min"]:8.3f} {s["max"]:8.3f} '
              f'{r["cpu_seconds_per_item"]:8.3f} {r["throughput"]:7.3f}  {r["runs"]}', flush=True)
    print('seconds are per image / per iteration (a batch divided by its size); '
          'cpu s: process CPU time; per s: images or iterations per second at the median')
    if a.json:
        meta = dict(torch=torch.__version__, threads=torch.get_num_threads(), machine=platform.machine())
        pathlib.Path(a.json).write_text(json.dumps(dict(meta=meta, results=results), indent=1) + '\n')


if __name__ == '__main__':
    main()
