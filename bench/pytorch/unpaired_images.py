"""The training images of a U-GAT-IT run as a stream indexed by iteration, so that N processes
with batch B draw exactly the images one process draws with batch N*B, and a resumed run
draws what the uninterrupted one would have.

Sample k of a domain's stream is element k mod n of that domain's permutation for epoch
k // n; its flip and crop are drawn from a generator seeded by (seed, domain, k). At iteration
t (1-based), process r of N takes samples (t-1)*N*B + r*B ... + B-1. Augmentation is the
reference's (torchvision RandomHorizontalFlip, Resize((S+30, S+30)), RandomCrop(S), ToTensor,
Normalize(0.5, 0.5)), done with Pillow."""
import functools
import hashlib
import pathlib

import numpy as np
import torch
from PIL import Image

EXTENSIONS = {'.png', '.jpg', '.jpeg', '.bmp', '.webp'}


def _seed(*parts):
    return int.from_bytes(hashlib.sha256('/'.join(map(str, parts)).encode()).digest()[:8], 'little')


def image_files(folder):
    """Every image under `folder` (recursively), sorted, as the reference's ImageFolder lists them."""
    folder = pathlib.Path(folder)
    files = sorted(p for p in folder.rglob('*') if p.suffix.lower() in EXTENSIONS)
    if not files:
        raise FileNotFoundError(f'no images ({", ".join(sorted(EXTENSIONS))}) in {folder}')
    return files


class UnpairedImages(torch.utils.data.Dataset):
    """`dataset[t]` is this process's (real_A, real_B) for iteration t, each [batch, 3, S, S] in [-1, 1].
    Use it with DataLoader(dataset, batch_size=None, sampler=range(first, last + 1))."""

    def __init__(self, root, img_size, batch, rank=0, world=1, seed=0):
        root = pathlib.Path(root)
        self.files = dict(A=image_files(root / 'trainA'), B=image_files(root / 'trainB'))
        self.img_size, self.batch, self.rank, self.world, self.seed = img_size, batch, rank, world, seed

    def __getitem__(self, t):
        first = ((t - 1) * self.world + self.rank) * self.batch
        return tuple(torch.stack([self.sample(dom, k) for k in range(first, first + self.batch)])
                     for dom in ('A', 'B'))

    @functools.lru_cache(maxsize=4)
    def _order(self, dom, epoch):
        g = torch.Generator().manual_seed(_seed(self.seed, dom, 'epoch', epoch))
        return torch.randperm(len(self.files[dom]), generator=g).tolist()

    def sample(self, dom, k):
        """Sample k of domain `dom` ('A' or 'B'): [3, S, S]."""
        n, S = len(self.files[dom]), self.img_size
        path = self.files[dom][self._order(dom, k // n)[k % n]]
        g = torch.Generator().manual_seed(_seed(self.seed, dom, 'sample', k))
        flip = torch.rand((), generator=g).item() < 0.5
        top, left = torch.randint(0, 31, (2,), generator=g).tolist()
        with Image.open(path) as img:
            img = img.convert('RGB')
            if flip:
                img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            img = img.resize((S + 30, S + 30), Image.Resampling.BILINEAR).crop((left, top, left + S, top + S))
            x = torch.from_numpy(np.array(img, dtype=np.float32)).permute(2, 0, 1)
        return (x / 255 - 0.5) / 0.5
