"""The cross-check of ddp_train.py's gradient averaging: the same iterations with each network
wrapped in torch's DistributedDataParallel (default options), float64, writing every process's
state after each iteration as ddp_train.py --dump-states does. Run under torchrun from a folder
holding export/ and the dataset:
    python plain_ddp.py <dataset> <img size> <iterations> <until> <states dir>"""
import pathlib
import sys

import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / 'bench/pytorch'))
import ugatit_torch as U  # noqa: E402
from unpaired_images import UnpairedImages  # noqa: E402

data_dir, img_size, iterations, until, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), pathlib.Path(sys.argv[5])
dist.init_process_group('gloo')
rank, world = dist.get_rank(), dist.get_world_size()
nets = {n: DistributedDataParallel(U.network_from_state_dict(load_file(f'export/{n}.safetensors'), img_size).double().train())
        for n in U.NET_NAMES}
opts = U.optimizers(nets)
data = UnpairedImages(data_dir, img_size, 1, rank, world)
out.mkdir(parents=True, exist_ok=True)
for it in range(1, until + 1):
    for opt in opts.values():
        for group in opt.param_groups:
            group['lr'] = U.reference_lr(1e-4, it, iterations)
    real_A, real_B = data[it]
    U.train_step(nets, opts, real_A.double(), real_B.double())
    save_file({f'{n}.{k}': v.contiguous() for n in U.NET_NAMES for k, v in nets[n].module.state_dict().items()},
              out / f'it{it:07d}.rank{rank}.safetensors')
dist.destroy_process_group()
