"""The authors' `test.py` path as one command, for `pnpm bench:command --authors-repo PATH`: Python
and torch start, their generator built (ResnetGeneratorResidual as their README's test command
builds it: ngf from the checkpoint, `--peer_reg bidir --knn 5`, instance norm, 6 residual blocks,
global style) and loaded from a checkpoint (`torch.load`, `load_state_dict`), one content and one
style image read with PIL and prepared as test.py does (`Resize(S, BICUBIC)` of the shorter side,
`CenterCrop(S)`, to [-1, 1], the content reflect-padded by 8·(S//256)), `stylize_image` under
`torch.no_grad()`, the pad cropped off, the image stretched to 0–255 as `imageio.imwrite` does and
written as a PNG. Timed from outside as a whole process; not part of the project or its tests (it
needs PyTorch, torchvision, PIL and a checkout of the authors' repository).

  python3 examples/bench/authors-command.py --repo PATH --checkpoint FILE.pth \
      --content photo.png --style painting.png --out out.png [--size 256] [--threads 2] [--marks]

`--marks`: one JSON line on stderr with the seconds since the script started at each phase
({"bench":"authors-command","marks":{"modules":…,"model":…,"images":…,"stylize":…,"png":…}}).
"""
import argparse
import json
import sys
import time

T0 = time.perf_counter()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repo', required=True, help="checkout of the authors' repository")
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--content', required=True)
    ap.add_argument('--style', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--marks', action='store_true')
    a = ap.parse_args()
    marks = {}

    def mark(name):
        marks[name] = round((time.perf_counter() - T0) * 1000)

    sys.path.insert(0, a.repo)
    import numpy as np
    import torch
    import torchvision.transforms as T
    from PIL import Image
    from models import networks
    torch.set_num_threads(a.threads)
    torch.cuda.FloatTensor = torch.FloatTensor
    torch.Tensor.cuda = lambda self, *args, **kw: self
    mark('modules')

    state = torch.load(a.checkpoint, map_location='cpu')
    ngf = state['model_enc_pre.1.weight'].shape[0] if 'model_enc_pre.1.weight' in state else 64
    net = networks.ResnetGeneratorResidual(3, 3, ngf, norm_layer=networks.get_norm_layer(norm_type='instance'), use_dropout=False,
                                           n_blocks=6, knn=5, peer_reg='bidir', no_global_style=False, decoder='basic')
    net.load_state_dict(state)
    net.eval()
    mark('model')

    S = a.size
    prepare = T.Compose([T.Resize(S, T.InterpolationMode.BICUBIC), T.CenterCrop(S), T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])
    content = prepare(Image.open(a.content).convert('RGB')).unsqueeze(0)
    style = prepare(Image.open(a.style).convert('RGB')).unsqueeze(0)
    pad = 8 * (S // 256)
    if pad:
        content = torch.nn.functional.pad(content, (pad,) * 4, mode='reflect')
    mark('images')

    with torch.no_grad():
        out = net.stylize_image([content, style])[0]
    if pad:
        out = out[:, :, pad:-pad, pad:-pad]
    mark('stylize')

    x = out[0].permute(1, 2, 0).numpy().astype(np.float64)
    lo, hi = x.min(), x.max()
    levels = np.floor((x - lo) / max(hi - lo, 1e-12) * 255 + 0.499999999).astype(np.uint8)
    Image.fromarray(levels).save(a.out)
    mark('png')
    if a.marks:
        print(json.dumps({'bench': 'authors-command', 'marks': marks}), file=sys.stderr)


if __name__ == '__main__':
    main()
