"""The authors' own PyTorch code, timed on the CPU, for side-by-side runs with `pnpm bench:tpfr`
and `pnpm bench:stylize`. Not part of the project or its tests: it needs PyTorch, SciPy and a
checkout of the authors' repository (nnaisense/conditional-style-transfer).

  python3 examples/bench/authors-torch.py --repo PATH stylize --size 256 [--style-size 256] [--calls 2]
  python3 examples/bench/authors-torch.py --repo PATH layer --L 128 [--random-style]

`stylize`: their ResnetGeneratorResidual as their README's test command builds it (ngf 64,
`--peer_reg bidir --knn 5`, instance norm, 6 residual blocks, global style), random weights, in
eval mode under `torch.no_grad()`, `stylize_image([content, style])` on uniform noise in [-1, 1];
each call is timed. `layer`: their PeerRegularizationLayerAttBidir (att_dim 256: content codes of
256 channels, style codes of 512), one exemplar of the input's size, timed after one warm-up
call, as `bench:tpfr` does; the style codes' global half is one vector per image (as their
encoder makes it) unless `--random-style`. Their code calls `.cuda()`; here those calls are
no-ops, so it runs on the CPU. One JSON line:
{"bench":"authors-torch","what":…,"size"|"L":…,"threads":…,"ms":[…],"peakRssMiB":…}
"""
import argparse
import json
import resource
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repo', required=True, help="checkout of the authors' repository")
    ap.add_argument('--threads', type=int, default=2)
    sub = ap.add_subparsers(dest='what', required=True)
    st = sub.add_parser('stylize')
    st.add_argument('--size', type=int, default=256)
    st.add_argument('--style-size', type=int)
    st.add_argument('--calls', type=int, default=2)
    ly = sub.add_parser('layer')
    ly.add_argument('--L', type=int, default=64)
    ly.add_argument('--random-style', action='store_true')
    a = ap.parse_args()

    sys.path.insert(0, a.repo)
    import torch
    torch.set_num_threads(a.threads)
    torch.cuda.FloatTensor = torch.FloatTensor
    torch.Tensor.cuda = lambda self, *args, **kw: self
    torch.manual_seed(0)
    peak = lambda: round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    times = []
    with torch.no_grad():
        if a.what == 'stylize':
            from models import networks
            net = networks.ResnetGeneratorResidual(3, 3, 64, norm_layer=networks.get_norm_layer(norm_type='instance'), use_dropout=False,
                                                   n_blocks=6, knn=5, peer_reg='bidir', no_global_style=False, decoder='basic').eval()
            s = a.style_size or a.size
            content, style = torch.rand(1, 3, a.size, a.size) * 2 - 1, torch.rand(1, 3, s, s) * 2 - 1
            for _ in range(a.calls):
                t0 = time.perf_counter()
                net.stylize_image([content, style])
                times.append(round((time.perf_counter() - t0) * 1000))
            print(json.dumps({'bench': 'authors-torch', 'what': 'stylize', 'size': a.size, 'styleSize': s, 'threads': torch.get_num_threads(), 'ms': times, 'peakRssMiB': peak()}))
        else:
            from models import layers
            L = a.L
            layer = layers.PeerRegularizationLayerAttBidir(att_dim=256, att_dropout_rate=0.2, K=5).eval()

            def style_code():
                if a.random_style:
                    return torch.randn(1, 512, L, L)
                return torch.cat([torch.randn(1, 256, 1, 1).expand(1, 256, L, L), torch.randn(1, 256, L, L)], 1).contiguous()
            x, p = [torch.randn(1, 256, L, L), style_code()], [torch.randn(1, 256, L, L), style_code()]
            layer([x, p, True, True])
            t0 = time.perf_counter()
            layer([x, p, True, True])
            times.append(round((time.perf_counter() - t0) * 1000))
            print(json.dumps({'bench': 'authors-torch', 'what': 'layer', 'L': L, 'randomStyle': a.random_style, 'threads': torch.get_num_threads(), 'ms': times, 'peakRssMiB': peak()}))


if __name__ == '__main__':
    main()
