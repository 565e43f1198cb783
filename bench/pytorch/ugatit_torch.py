"""U-GAT-IT networks and one training iteration in PyTorch, as the official implementation
(znxlwm/UGATIT-pytorch) computes them: same modules, same state_dict keys, same order of
operations. check.py proves them equal to that implementation's golden outputs."""
import itertools
import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

NET_NAMES = ('genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB')
LOSS_WEIGHTS = dict(adv=1.0, cycle=10.0, identity=10.0, cam=1000.0)


def conv(cin, cout, k, stride=1, bias=False):
    return nn.Conv2d(cin, cout, k, stride, padding=0, bias=bias)


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), conv(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), conv(dim, dim, 3), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.conv_block(x)


def _in_ln(x, rho, eps):
    # torch.var: unbiased (n - 1), unlike InstanceNorm2d's biased variance.
    x_in = (x - x.mean((2, 3), keepdim=True)) / torch.sqrt(x.var((2, 3), keepdim=True) + eps)
    x_ln = (x - x.mean((1, 2, 3), keepdim=True)) / torch.sqrt(x.var((1, 2, 3), keepdim=True) + eps)
    return rho * x_in + (1 - rho) * x_ln


class adaILN(nn.Module):
    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.full((1, num_features, 1, 1), 0.9))

    def forward(self, x, gamma, beta):
        return _in_ln(x, self.rho, self.eps) * gamma[:, :, None, None] + beta[:, :, None, None]


class ILN(nn.Module):
    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.zeros(1, num_features, 1, 1))
        self.gamma = nn.Parameter(torch.ones(1, num_features, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, num_features, 1, 1))

    def forward(self, x):
        return _in_ln(x, self.rho, self.eps) * self.gamma + self.beta


class ResnetAdaILNBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.pad1, self.conv1, self.norm1 = nn.ReflectionPad2d(1), conv(dim, dim, 3), adaILN(dim)
        self.relu1 = nn.ReLU(True)
        self.pad2, self.conv2, self.norm2 = nn.ReflectionPad2d(1), conv(dim, dim, 3), adaILN(dim)

    def forward(self, x, gamma, beta):
        out = self.relu1(self.norm1(self.conv1(self.pad1(x)), gamma, beta))
        return x + self.norm2(self.conv2(self.pad2(out)), gamma, beta)


def cam(x, gap_fc, gmp_fc, w_gap, w_gmp):
    """CAM logits and attended features; w_* are the raw weights that scale the channels."""
    gap_logit = gap_fc(x.mean((2, 3)))
    gmp_logit = gmp_fc(x.amax((2, 3)))
    feats = torch.cat([x * w_gap[:, :, None, None], x * w_gmp[:, :, None, None]], 1)
    return torch.cat([gap_logit, gmp_logit], 1), feats


class ResnetGenerator(nn.Module):
    def __init__(self, input_nc=3, output_nc=3, ngf=64, n_blocks=6, img_size=256, light=False):
        super().__init__()
        self.light = light
        down = [nn.ReflectionPad2d(3), conv(input_nc, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
        for i in range(2):
            c = ngf * 2 ** i
            down += [nn.ReflectionPad2d(1), conv(c, 2 * c, 3, 2), nn.InstanceNorm2d(2 * c), nn.ReLU(True)]
        C = ngf * 4
        down += [ResnetBlock(C) for _ in range(n_blocks)]
        self.DownBlock = nn.Sequential(*down)

        self.gap_fc = nn.Linear(C, 1, bias=False)
        self.gmp_fc = nn.Linear(C, 1, bias=False)
        self.conv1x1 = nn.Conv2d(2 * C, C, 1, 1, bias=True)
        self.relu = nn.ReLU(True)

        fc_in = C if light else C * (img_size // 4) ** 2
        self.FC = nn.Sequential(nn.Linear(fc_in, C, bias=False), nn.ReLU(True),
                                nn.Linear(C, C, bias=False), nn.ReLU(True))
        self.gamma = nn.Linear(C, C, bias=False)
        self.beta = nn.Linear(C, C, bias=False)
        for i in range(n_blocks):
            setattr(self, f'UpBlock1_{i + 1}', ResnetAdaILNBlock(C))
        self.n_blocks = n_blocks

        up = []
        for i in range(2):
            c = C // 2 ** i
            up += [nn.Upsample(scale_factor=2, mode='nearest'), nn.ReflectionPad2d(1),
                   conv(c, c // 2, 3), ILN(c // 2), nn.ReLU(True)]
        up += [nn.ReflectionPad2d(3), conv(ngf, output_nc, 7), nn.Tanh()]
        self.UpBlock2 = nn.Sequential(*up)

    def forward(self, x):
        x = self.DownBlock(x)
        cam_logit, x = cam(x, self.gap_fc, self.gmp_fc, self.gap_fc.weight, self.gmp_fc.weight)
        x = self.relu(self.conv1x1(x))
        heatmap = x.sum(1, keepdim=True)
        # Full: flatten NCHW (c, h, w order), which FC.0.weight's columns follow.
        h = self.FC(x.mean((2, 3)) if self.light else x.flatten(1))
        gamma, beta = self.gamma(h), self.beta(h)
        for i in range(self.n_blocks):
            x = getattr(self, f'UpBlock1_{i + 1}')(x, gamma, beta)
        return self.UpBlock2(x), cam_logit, heatmap


class Discriminator(nn.Module):
    def __init__(self, input_nc=3, ndf=64, n_layers=5):
        super().__init__()
        lrelu = lambda: nn.LeakyReLU(0.2, True)
        model = [nn.ReflectionPad2d(1), spectral_norm(conv(input_nc, ndf, 4, 2, bias=True)), lrelu()]
        for i in range(1, n_layers - 2):
            c = ndf * 2 ** (i - 1)
            model += [nn.ReflectionPad2d(1), spectral_norm(conv(c, 2 * c, 4, 2, bias=True)), lrelu()]
        c = ndf * 2 ** (n_layers - 3)
        model += [nn.ReflectionPad2d(1), spectral_norm(conv(c, 2 * c, 4, 1, bias=True)), lrelu()]
        self.model = nn.Sequential(*model)

        C = 2 * c
        self.gap_fc = spectral_norm(nn.Linear(C, 1, bias=False))
        self.gmp_fc = spectral_norm(nn.Linear(C, 1, bias=False))
        self.conv1x1 = nn.Conv2d(2 * C, C, 1, 1, bias=True)
        self.leaky_relu = lrelu()
        self.pad = nn.ReflectionPad2d(1)
        self.conv = spectral_norm(conv(C, 1, 4))

    def forward(self, x):
        x = self.model(x)
        # Quirk of the reference: the logits use the normalised weight, the channel
        # scaling the raw parameter (weight_orig).
        cam_logit, x = cam(x, self.gap_fc, self.gmp_fc, self.gap_fc.weight_orig, self.gmp_fc.weight_orig)
        x = self.leaky_relu(self.conv1x1(x))
        heatmap = x.sum(1, keepdim=True)
        return self.conv(self.pad(x)), cam_logit, heatmap


def build(ngf=64, ndf=64, n_blocks=4, img_size=256, light=True):
    """The six networks of one U-GAT-IT model, keyed as in the reference trainer."""
    gen = lambda: ResnetGenerator(3, 3, ngf, n_blocks, img_size, light)
    return dict(genA2B=gen(), genB2A=gen(),
                disGA=Discriminator(3, ndf, 7), disGB=Discriminator(3, ndf, 7),
                disLA=Discriminator(3, ndf, 5), disLB=Discriminator(3, ndf, 5))


def network_from_state_dict(state_dict, img_size=None):
    """The generator or discriminator a state_dict belongs to, its architecture read off the
    weight shapes as `ugatit-tf convert` reads it, with the state_dict loaded strictly. A light
    generator's weights do not fix its image size: img_size (default 256, the reference's)."""
    sd = state_dict
    if 'DownBlock.1.weight' in sd:
        ngf, input_nc = sd['DownBlock.1.weight'].shape[:2]
        n_blocks = sum(1 for k in sd if re.fullmatch(r'UpBlock1_\d+\.conv1\.weight', k))
        up_convs = [k for k in sd if re.fullmatch(r'UpBlock2\.\d+\.weight', k) and sd[k].dim() == 4]
        output_nc = sd[max(up_convs, key=lambda k: int(k.split('.')[1]))].shape[0]
        fc_in = sd['FC.0.weight'].shape[1]
        light = fc_in == 4 * ngf
        if not light:
            side = 4 * math.isqrt(fc_in // (4 * ngf))
            if (side // 4) ** 2 * 4 * ngf != fc_in:
                raise ValueError(f'FC.0.weight has {fc_in} inputs, not (S/4)^2 * {4 * ngf}')
            if img_size not in (None, side):
                raise ValueError(f"the full generator's weights fix the image size at {side}, received {img_size}")
            img_size = side
        net = ResnetGenerator(input_nc, output_nc, ngf, n_blocks, img_size or 256, light)
    elif 'model.1.weight_orig' in sd:
        ndf, input_nc = sd['model.1.weight_orig'].shape[:2]
        n_layers = 1 + sum(1 for k in sd if re.fullmatch(r'model\.\d+\.weight_orig', k))
        net = Discriminator(input_nc, ndf, n_layers)
    else:
        raise ValueError(f'neither a U-GAT-IT generator (DownBlock.1.weight) nor discriminator '
                         f'(model.1.weight_orig); first keys: {", ".join(list(sd)[:5])}')
    net.load_state_dict(sd, strict=True)
    return net


def optimizers(nets, lr=1e-4, weight_decay=1e-4):
    adam = lambda names: torch.optim.Adam(
        itertools.chain(*(nets[n].parameters() for n in names)),
        lr=lr, betas=(0.5, 0.999), eps=1e-8, weight_decay=weight_decay)
    return dict(G=adam(NET_NAMES[:2]), D=adam(NET_NAMES[2:]))


def reference_lr(lr, step, iterations, decay=True):
    """The reference's learning rate at iteration `step` (1-based) of `iterations`: constant,
    then, with decay, falling linearly to 0 over the second half."""
    half = iterations // 2
    return lr * (1 - max(0, step - half) / half) if decay and half > 0 else lr


def train_step(nets, opts, real_A, real_B, grads=None, reduce_grads=None):
    """One reference iteration: D step, G step, rho clip. Returns every loss term (floats).
    With a dict `grads`, stores grads['d'] / grads['g'] (name -> tensor) as each step takes them.
    `reduce_grads(parameters)`, when given, runs after each backward pass on the parameters the
    following optimizer step updates (ddp_train.py averages them across processes there).
    The lr is the caller's (see reference_lr)."""
    n = nets
    w = LOSS_WEIGHTS
    mse = lambda x, t: F.mse_loss(x, torch.full_like(x, t))
    bce = lambda x, t: F.binary_cross_entropy_with_logits(x, torch.full_like(x, t))
    pairs = dict(GA=('disGA', 'A'), LA=('disLA', 'A'), GB=('disGB', 'B'), LB=('disLB', 'B'))
    losses = {}

    opts['D'].zero_grad()
    fake = dict(A=n['genB2A'](real_B)[0], B=n['genA2B'](real_A)[0])
    real = dict(A=real_A, B=real_B)
    # Fakes not detached, as in the reference: D's backward also runs through both generators.
    for k, (d, dom) in pairs.items():
        r_logit, r_cam, _ = n[d](real[dom])
        f_logit, f_cam, _ = n[d](fake[dom])
        losses[f'D_{k}'] = mse(r_logit, 1) + mse(f_logit, 0)
        losses[f'D_{k}_cam'] = mse(r_cam, 1) + mse(f_cam, 0)
    d_loss = w['adv'] * sum(losses[f'D_{k}{s}'] for k in pairs for s in ('', '_cam'))
    d_loss.backward()
    if reduce_grads is not None:
        reduce_grads(_parameters(n, NET_NAMES[2:]))
    if grads is not None:
        grads['d'] = _grads(n, NET_NAMES[2:])
    opts['D'].step()

    opts['G'].zero_grad()
    fake_A2B, fake_A2B_cam, _ = n['genA2B'](real_A)
    fake_B2A, fake_B2A_cam, _ = n['genB2A'](real_B)
    fake_A2B2A = n['genB2A'](fake_A2B)[0]
    fake_B2A2B = n['genA2B'](fake_B2A)[0]
    fake_A2A, fake_A2A_cam, _ = n['genB2A'](real_A)
    fake_B2B, fake_B2B_cam, _ = n['genA2B'](real_B)
    fake = dict(A=fake_B2A, B=fake_A2B)
    for k, (d, dom) in pairs.items():
        f_logit, f_cam, _ = n[d](fake[dom])
        losses[f'G_ad_{k}'] = mse(f_logit, 1)
        losses[f'G_ad_{k}_cam'] = mse(f_cam, 1)
    losses['G_recon_A'] = F.l1_loss(fake_A2B2A, real_A)
    losses['G_recon_B'] = F.l1_loss(fake_B2A2B, real_B)
    losses['G_identity_A'] = F.l1_loss(fake_A2A, real_A)
    losses['G_identity_B'] = F.l1_loss(fake_B2B, real_B)
    losses['G_cam_A'] = bce(fake_B2A_cam, 1) + bce(fake_A2A_cam, 0)
    losses['G_cam_B'] = bce(fake_A2B_cam, 1) + bce(fake_B2B_cam, 0)
    g_loss = (w['adv'] * sum(losses[f'G_ad_{k}{s}'] for k in pairs for s in ('', '_cam'))
              + w['cycle'] * (losses['G_recon_A'] + losses['G_recon_B'])
              + w['identity'] * (losses['G_identity_A'] + losses['G_identity_B'])
              + w['cam'] * (losses['G_cam_A'] + losses['G_cam_B']))
    g_loss.backward()
    if reduce_grads is not None:
        reduce_grads(_parameters(n, NET_NAMES[:2]))
    if grads is not None:
        grads['g'] = _grads(n, NET_NAMES[:2])
    opts['G'].step()

    with torch.no_grad():
        for g in NET_NAMES[:2]:
            for m in n[g].modules():
                if isinstance(m, (adaILN, ILN)):
                    m.rho.clamp_(0, 1)

    losses['D_loss'], losses['G_loss'] = d_loss, g_loss
    return {k: v.item() for k, v in losses.items()}


def _parameters(nets, names):
    return [p for name in names for p in nets[name].parameters()]


def _grads(nets, names):
    return {f'{name}.{p}': t.grad.detach().clone()
            for name in names for p, t in nets[name].named_parameters()}
