"""Trains U-GAT-IT with the reference iteration (ugatit_torch.train_step) on N processes:

    python -m torch.distributed.run --standalone --nproc_per_node N bench/pytorch/ddp_train.py \\
        --init export --data data/avatars --out results/avatars/model --img-size 96 --iterations 100000

Starts from an export of ugatit-tf (`ugatit-tf convert <run> --to safetensors --out export`)
or an official checkpoint (.pt), writes checkpoints in the official layout on rank 0
(<out>/<name>_params_<iteration>.pt, which `ugatit-tf convert` imports) with the Adam state
beside them (<name>_optim_<iteration>.pth), and continues from the newest with --resume.
Run with plain `python` it trains in one process. docs/scale-out.md has the whole round trip.

The networks are not wrapped in DistributedDataParallel. Its wrappers average every
network's gradients in every backward pass, but each of the reference's two backward passes
feeds only half the networks' optimizer (the D step also back-propagates into the generators,
the G step into the discriminators), so half that traffic would be thrown away; and they
broadcast rank 0's buffers (spectral-norm u, v) before every forward call. Instead, after each
backward pass the gradients the next optimizer step uses are summed across processes and
divided by their number: the gradient of the loss over the global batch, since every loss term
is a mean over the batch and instance and layer normalisation keep batch elements independent.
Every process then applies the same update to the same weights; u, v (a function of the
weights alone) and the rho clip follow, which every checkpoint verifies by comparing digests.
test/scale-out/ddp.test.ts checks all of it, against one process and against DDP wrappers.
"""
import argparse
import hashlib
import json
import os
import pathlib
import re
import sys
import time

import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import ugatit_torch as U  # noqa: E402
from unpaired_images import UnpairedImages  # noqa: E402

BUCKET_ELEMENTS = 1 << 24  # 64 MB of float32 per all-reduce


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--init', help='where to start: a folder of <network>.safetensors (ugatit-tf convert --to safetensors) or an official .pt checkpoint')
    p.add_argument('--data', required=True, help='dataset folder with trainA/ and trainB/')
    p.add_argument('--out', required=True, help='checkpoint folder (the reference uses results/<dataset>/model)')
    p.add_argument('--name', help='checkpoint file prefix (default: the name of --data)')
    p.add_argument('--resume', action='store_true', help='continue from the newest checkpoint in --out; start from --init when there is none')
    p.add_argument('--img-size', type=int, default=256, help='training image side (default 256)')
    p.add_argument('--iterations', type=int, default=1_000_000, help='length of the run, for the lr decay (default 1000000)')
    p.add_argument('--until', type=int, help='stop after this iteration (default --iterations)')
    p.add_argument('--batch-size', type=int, default=1, help='images per domain per process (default 1)')
    p.add_argument('--lr', type=float, default=1e-4)
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--decay', action=argparse.BooleanOptionalAction, default=True, help='lr decay over the second half (default on)')
    p.add_argument('--save-every', type=int, default=100_000, help='checkpoint interval (a checkpoint is also written at the end)')
    p.add_argument('--log-every', type=int, default=100, help='interval of the loss lines (losses averaged over processes)')
    p.add_argument('--seed', type=int, default=0, help='seed of the image order, flips and crops')
    p.add_argument('--workers', type=int, default=0, help='data loader processes per training process')
    p.add_argument('--threads', type=int, help='torch CPU threads per process')
    p.add_argument('--device', choices=('cpu', 'cuda'), default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--dtype', choices=('float32', 'float64'), default='float32', help='float64 for checking: it keeps rounding far below Adam\'s eps')
    p.add_argument('--dump-states', metavar='DIR', help='after every iteration, each process writes its parameters and buffers to DIR/it<t>.rank<r>.safetensors (for checking small runs)')
    args = p.parse_args(argv)
    args.name = args.name or pathlib.Path(os.path.abspath(args.data)).name
    args.until = args.until or args.iterations
    if not args.init and not args.resume:
        p.error('give --init (and/or --resume)')
    return args


def init_processes(device):
    """(rank, world, device) of this process; a process group when launched by torchrun."""
    if 'RANK' not in os.environ:
        return 0, 1, torch.device(device)
    dist.init_process_group('nccl' if device == 'cuda' else 'gloo')
    rank, world = dist.get_rank(), dist.get_world_size()
    if device == 'cuda':
        local = int(os.environ['LOCAL_RANK'])
        torch.cuda.set_device(local)
        return rank, world, torch.device('cuda', local)
    return rank, world, torch.device('cpu')


def average_gradients(params, world):
    """Replaces each parameter's gradient with its mean over the processes."""
    missing = [i for i, p in enumerate(params) if p.grad is None]
    if missing:
        raise RuntimeError(f'{len(missing)} parameters received no gradient (first: #{missing[0]})')
    buckets, size = [[]], 0
    for p in params:
        if size and size + p.grad.numel() > BUCKET_ELEMENTS:
            buckets.append([])
            size = 0
        buckets[-1].append(p.grad)
        size += p.grad.numel()
    flats = [torch.cat([g.reshape(-1) for g in b]) for b in buckets]
    for work in [dist.all_reduce(f, async_op=True) for f in flats]:
        work.wait()
    for bucket, flat in zip(buckets, flats):
        flat /= world
        offset = 0
        for g in bucket:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()


def full_state(nets):
    return {f'{name}.{k}': v for name in U.NET_NAMES for k, v in nets[name].state_dict().items()}


def check_in_sync(nets, world, when):
    """Raises unless every process holds bit-identical parameters and buffers."""
    if world == 1:
        return
    h = hashlib.sha256()
    for k, v in full_state(nets).items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    digests = [None] * world
    dist.all_gather_object(digests, h.hexdigest())
    if len(set(digests)) > 1:
        raise RuntimeError(f'{when}: the processes hold different weights (digests by rank: {digests})')


def checkpoint_path(out, name, it, kind='params'):
    return pathlib.Path(out) / f'{name}_{kind}_{it:07d}.{"pt" if kind == "params" else "pth"}'


def newest_checkpoint(out, name):
    found = [(int(m.group(1)), p) for p in pathlib.Path(out).glob(f'{name}_params_*.pt')
             if (m := re.fullmatch(re.escape(name) + r'_params_(\d+)\.pt', p.name))]
    return max(found) if found else None


def load_start(args, device):
    """(nets, first completed iteration, optimizer states or None, description)."""
    newest = newest_checkpoint(args.out, args.name) if args.resume else None
    if newest:
        it, path = newest
        dicts = torch.load(path, map_location='cpu', weights_only=True)
        optim = checkpoint_path(args.out, args.name, it, 'optim')
        opt_state = torch.load(optim, map_location=device, weights_only=True) if optim.exists() else None
        what = f'resuming from {path} (iteration {it}), ' + (f'Adam state from {optim.name}' if opt_state else f'no {optim.name}: Adam starts afresh')
    else:
        it, opt_state, init = 0, None, pathlib.Path(args.init or '')
        if not args.init:
            raise FileNotFoundError(f'--resume: no {args.name}_params_*.pt in {args.out}, and no --init to start from')
        if init.is_dir():
            missing = [n for n in U.NET_NAMES if not (init / f'{n}.safetensors').exists()]
            if missing:
                raise FileNotFoundError(f'{init}: no {", ".join(f"{n}.safetensors" for n in missing)} (export with ugatit-tf convert <run> --to safetensors --out {init})')
            dicts = {n: load_file(init / f'{n}.safetensors') for n in U.NET_NAMES}
        else:
            dicts = torch.load(init, map_location='cpu', weights_only=True)
        what = f'starting from {init}'
    missing = [n for n in U.NET_NAMES if n not in dicts]
    if missing:
        raise KeyError(f'the checkpoint has no {", ".join(missing)}')
    nets = {}
    for n in U.NET_NAMES:
        try:
            nets[n] = U.network_from_state_dict(dicts[n], args.img_size).to(device, getattr(torch, args.dtype)).train()
        except (ValueError, RuntimeError) as e:
            raise ValueError(f'{n}: {e}') from e
    return nets, it, opt_state, what


def save_checkpoint(args, it, nets, opts):
    """Official layout (the six state_dicts) in *_params_*.pt; the Adam state in *_optim_*.pth,
    written first, so a params file always has its optimizer file."""
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = [(checkpoint_path(out, args.name, it, 'optim'), {'iteration': it, 'G': opts['G'].state_dict(), 'D': opts['D'].state_dict()}),
             (checkpoint_path(out, args.name, it), {n: {k: v.detach().cpu() for k, v in nets[n].state_dict().items()} for n in U.NET_NAMES})]
    for path, obj in files:
        tmp = path.with_name(path.name + '.tmp')
        torch.save(obj, tmp)
        os.replace(tmp, path)
    return files[1][0]


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, device = init_processes(args.device)
    log = print if rank == 0 else (lambda *a, **k: None)

    dtype = getattr(torch, args.dtype)
    nets, start, opt_state, what = load_start(args, device)
    opts = U.optimizers(nets, lr=args.lr, weight_decay=args.weight_decay)
    if opt_state:
        opts['G'].load_state_dict(opt_state['G'])
        opts['D'].load_state_dict(opt_state['D'])
    check_in_sync(nets, world, 'at the start')
    log(f'{what}; {world} process{"es" if world > 1 else ""} ({device.type}) x batch {args.batch_size}, '
        f'{args.img_size} px, iterations {start + 1}..{args.until} of {args.iterations}', flush=True)
    if start >= args.until:
        log(f'nothing to do: iteration {start} >= --until {args.until}')
        return

    data = UnpairedImages(args.data, args.img_size, args.batch_size, rank, world, args.seed)
    loader = torch.utils.data.DataLoader(data, batch_size=None, sampler=range(start + 1, args.until + 1),
                                         num_workers=args.workers, pin_memory=device.type == 'cuda')
    reduce = (lambda params: average_gradients(params, world)) if world > 1 else None
    if args.dump_states:
        pathlib.Path(args.dump_states).mkdir(parents=True, exist_ok=True)
    first = last = None  # (iteration, time) after the first and the last train_step
    for it, (real_A, real_B) in zip(range(start + 1, args.until + 1), loader):
        for opt in opts.values():
            for group in opt.param_groups:
                group['lr'] = U.reference_lr(args.lr, it, args.iterations, args.decay)
        losses = U.train_step(nets, opts, real_A.to(device, dtype), real_B.to(device, dtype), reduce_grads=reduce)
        last = (it, time.perf_counter(), time.process_time())
        first = first or last
        if args.dump_states:
            save_file({k: v.detach().cpu().contiguous() for k, v in full_state(nets).items()},
                      pathlib.Path(args.dump_states) / f'it{it:07d}.rank{rank}.safetensors')
        if it % args.log_every == 0 or it == args.until:
            mean = torch.tensor(list(losses.values()), dtype=torch.float64)
            if world > 1:
                dist.all_reduce(mean)
                mean /= world
            log(json.dumps({'iteration': it, 'lr': opts['G'].param_groups[0]['lr'],
                            **{k: round(v, 6) for k, v in zip(losses, mean.tolist())}}), flush=True)
        if it % args.save_every == 0 or it == args.until:
            check_in_sync(nets, world, f'iteration {it}')
            if rank == 0:
                log(f'wrote {save_checkpoint(args, it, nets, opts)}', flush=True)
            if world > 1:
                dist.barrier()
    if last[0] > first[0]:
        # The first iteration warms up (allocations, thread pools): time the others. CPU time,
        # summed over the processes, is less disturbed than wall time on a shared machine.
        n, seconds, cpu = last[0] - first[0], last[1] - first[1], torch.tensor(last[2] - first[2], dtype=torch.float64)
        if world > 1:
            dist.all_reduce(cpu)
        images = n * world * args.batch_size
        log(f'{n} iterations in {seconds:.1f} s after the first: {n / seconds:.3f} it/s, '
            f'{images / seconds:.2f} images per domain per s, {cpu.item() / images:.2f} CPU s per image '
            f'({world} x batch {args.batch_size})', flush=True)
    if world > 1:
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
