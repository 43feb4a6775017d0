"""A `kind: "net"` case in the layout of the torch-generator fixtures, made with the authors' own
PyTorch code, for checking `test:torch` on cases it has not seen. Not part of the project or its
tests: it needs PyTorch (1.13 made the shared fixtures), SciPy (their networks.py imports it) and
a checkout of the authors' repository (nnaisense/conditional-style-transfer, fcdc471).

  python3 examples/torch-fixtures/authors-net-case.py --repo PATH make --out DIR [--ngf 16]
      [--seed 1] [--content 36x32] [--styles 3x40x28] [--name net_g16zip_36x32_3styles]
  TPFR_REQUIRE_FIXTURES=1 TPFR_TORCH_FIXTURES=DIR npx vitest run packages/models/src/torch-import/torch-parity.test.ts

  python3 examples/torch-fixtures/authors-net-case.py --repo PATH float64 --fixtures DIR

`make`: their ResnetGeneratorResidual as the fixtures' README describes it (`--peer_reg bidir
--knn 5`, instance norm, 6 residual blocks, global style, eval mode) with random non-trivial weights
(kernels N(0, 1/fan_in), biases N(0, 0.1), PReLU slopes in 0.1-0.4, BatchNorm statistics away
from 0/1), saved with `torch.save(state_dict)` (zip); smooth random images in [-1, 1]; the eight
outputs of `stylize_image([content, styles])` (both stages, and the style stage alone) and a
manifest.json with that one case. `float64`: each net case of a fixtures folder re-run in float64
(`.double()`), printing max |fixture - float64| per output: how far float32 took the authors' side.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

OUTPUTS = ['content_code', 'content_style_code', 'styles_code', 'styles_style_code', 'recombined', 'stylized', 'recombined_style_only', 'stylized_style_only']


def build(networks, ngf):
    return networks.ResnetGeneratorResidual(3, 3, ngf, norm_layer=networks.get_norm_layer(norm_type='instance'), use_dropout=False,
                                            n_blocks=6, knn=5, peer_reg='bidir', no_global_style=False, decoder='basic').eval()


def randomize(net, seed):
    g = torch.Generator().manual_seed(seed)
    sd = net.state_dict()
    for k, v in sd.items():
        if not v.dtype.is_floating_point:
            continue
        if 'running_mean' in k:
            v.copy_(torch.randn(v.shape, generator=g) * 0.5)
        elif 'running_var' in k:
            v.copy_(0.5 + torch.rand(v.shape, generator=g))
        elif k.endswith('bias'):
            v.copy_(torch.randn(v.shape, generator=g) * 0.1)
        elif v.numel() == 1:  # PReLU
            v.copy_(0.1 + 0.3 * torch.rand(v.shape, generator=g))
        elif v.dim() == 1:  # BatchNorm weight
            v.copy_(1 + 0.2 * torch.randn(v.shape, generator=g))
        else:
            # ConvTranspose2d weights are [in, out, kh, kw]: their fan-in is out·kh·kw.
            transposed = v.dim() == 4 and k.startswith('model_dec') and v.shape[2] == 4
            fan_in = v[0].numel() if not transposed else v.shape[1] * v.shape[2] * v.shape[3]
            v.copy_(torch.randn(v.shape, generator=g) / fan_in ** 0.5)
    net.load_state_dict(sd)


def smooth(shape, seed):
    """Smooth random images: noise blurred three times with [1 4 6 4 1]/16, stretched to [-1, 1]."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g)
    k = torch.tensor([1., 4., 6., 4., 1.]) / 16
    pad = torch.nn.functional.pad
    for _ in range(3):
        x = torch.nn.functional.conv2d(pad(x, (2, 2, 0, 0), mode='reflect'), k.view(1, 1, 1, 5).repeat(3, 1, 1, 1), groups=3)
        x = torch.nn.functional.conv2d(pad(x, (0, 0, 2, 2), mode='reflect'), k.view(1, 1, 5, 1).repeat(3, 1, 1, 1), groups=3)
    lo, hi = x.amin(dim=(1, 2, 3), keepdim=True), x.amax(dim=(1, 2, 3), keepdim=True)
    return (2 * (x - lo) / (hi - lo) - 1).contiguous()


def run(net, content, styles):
    """`stylize_image`'s codes and results, both stages and the style stage alone."""
    with torch.no_grad():
        zi, zt = net.encode(content), net.encode(styles)
        peers = [zt['cont'], zt['style']]
        two = net.model_peer_reg([[zi['cont'], zi['style']], peers, True, True])
        one = net.model_peer_reg([[zi['cont'], zi['style']], peers, False, True])
        return {'content_code': zi['cont'], 'content_style_code': zi['style'], 'styles_code': zt['cont'], 'styles_style_code': zt['style'],
                'recombined': two, 'stylized': net.decode(two), 'recombined_style_only': one, 'stylized_style_only': net.decode(one)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repo', required=True, help="checkout of the authors' repository")
    ap.add_argument('--threads', type=int, default=1)
    sub = ap.add_subparsers(dest='what', required=True)
    mk = sub.add_parser('make')
    mk.add_argument('--out', required=True)
    mk.add_argument('--ngf', type=int, default=16)
    mk.add_argument('--seed', type=int, default=1)
    mk.add_argument('--content', default='36x32', help='H x W')
    mk.add_argument('--styles', default='3x40x28', help='N x H x W')
    mk.add_argument('--name', default='net_g16zip_36x32_3styles')
    f64 = sub.add_parser('float64')
    f64.add_argument('--fixtures', required=True)
    a = ap.parse_args()

    sys.path.insert(0, a.repo)
    torch.set_num_threads(a.threads)
    torch.cuda.FloatTensor = torch.FloatTensor  # their layers call .type(torch.cuda.FloatTensor)
    torch.Tensor.cuda = lambda self, *args, **kw: self
    from models import networks

    if a.what == 'float64':
        man = json.load(open(os.path.join(a.fixtures, 'manifest.json')))
        for c in (c for c in man['cases'] if c['kind'] == 'net'):
            net = build(networks, man['checkpoints'][c['checkpoint']]['ngf'])
            net.load_state_dict(torch.load(os.path.join(a.fixtures, c['checkpoint'])))
            net = net.double()
            read = lambda t: np.fromfile(os.path.join(a.fixtures, c['name'], t['file']), dtype='<f4').reshape(t['shape'])
            outs = run(net, torch.from_numpy(read(c['inputs']['content'])).double(), torch.from_numpy(read(c['inputs']['styles'])).double())
            print(json.dumps({'case': c['name'], 'fixture_minus_float64': {k: float(np.abs(read(t) - outs[k].numpy()).max()) for k, t in c['outputs'].items()}}))
        return

    torch.manual_seed(a.seed)
    net = build(networks, a.ngf)
    randomize(net, a.seed)
    os.makedirs(os.path.join(a.out, a.name), exist_ok=True)
    ckpt = f'g{a.ngf}_seed{a.seed}_zip.pth'
    torch.save(net.state_dict(), os.path.join(a.out, ckpt))
    h, w = map(int, a.content.split('x'))
    n, sh, sw = map(int, a.styles.split('x'))
    content, styles = smooth((1, 3, h, w), 10 * a.seed + 1), smooth((n, 3, sh, sw), 10 * a.seed + 2)
    outs = run(net, content, styles)
    folder = os.path.join(a.out, a.name)

    def write(name, t):
        t.numpy().astype('<f4').tofile(os.path.join(folder, name + '.f32'))
        return {'file': name + '.f32', 'shape': list(t.shape)}
    case = {'name': a.name, 'kind': 'net', 'checkpoint': ckpt, 'inputs': {'content': write('content', content), 'styles': write('styles', styles)},
            'outputs': {k: write(k, outs[k]) for k in OUTPUTS}, 'tolerance_max_abs': 1e-4}
    manifest = {'generator': 'ResnetGeneratorResidual (netG=resnet_residual, norm=instance, peer_reg=bidir, knn=5, n_blocks=6, no_dropout, global style on), eval mode; examples/torch-fixtures/authors-net-case.py',
                'checkpoints': {ckpt: {'format': 'zip', 'ngf': a.ngf, 'bytes': os.path.getsize(os.path.join(a.out, ckpt))}}, 'cases': [case]}
    json.dump(manifest, open(os.path.join(a.out, 'manifest.json'), 'w'), indent=1)
    print(json.dumps({'case': a.name, 'shapes': {k: list(v.shape) for k, v in outs.items()}}))


if __name__ == '__main__':
    main()
