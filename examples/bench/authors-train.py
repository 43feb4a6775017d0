"""The authors' own PyTorch training step, timed on the CPU, for side-by-side runs with
`pnpm bench:train`. Not part of the project or its tests: it needs PyTorch, SciPy, torchvision and a
checkout of the authors' repository (nnaisense/conditional-style-transfer).

  python3 examples/bench/authors-train.py --repo PATH [--size 64] [--batch 2] [--steps 3] [--threads 2] [--replicas 2]

Their gan_aux model (GANAuxModel) built by their own option parser from their README's training
command: `--model gan_aux --netG=resnet_residual --netD=disc_noisy --lambda_gen=1.0
--lambda_disc=1.0 --lambda_cycle=1.0 --lambda_cont=1.0 --lambda_style=1.0 --lambda_idt=25.0
--num_style_samples=1 --mapping_mode=one_to_all --knn=5 --ml_margin=1.0 --lr=4e-4 --peer_reg=bidir`
and their defaults (ngf 64, ndf 64, instance norm, no dropout, 6 residual blocks, normal init 0.02,
Adam beta1 0.5, image pool 50, D noise 0.1), with `--batch_size`/`--fineSize` from `--size`/`--batch`
and `--gpu_ids=-1`; random weights. (Their parser reads `--lambda_cycle` as an abbreviation of
`--lambda_cycle_aux`; `lambda_idt_aux` and `lambda_transf` keep their default 1.0.) Each step is what their train.py does per batch: the same
reshape of the style tensors, `set_input(data)`, `optimize_parameters()`, called unchanged, on
random images uniform in [-1, 1] in their Painters13 dataset's dict (A: photo, A_style: another
photo, B: painting, B_style: another painting of the same painter, C_style: a painting of another
painter, unused by the model; one style sample each). The parts are timed by wrapping their
sub-calls on the model instance (`forward`; `backward_G_aux` + `optimizer_G_aux.step`;
`backward_G_main` + `optimizer_G_main.step`; `backward_D` + `optimizer_D.step`); the step time
also holds the freeze/unfreeze, zero_grad and set_input calls.

Three changes make their code run here, none of them to their files:
- Their `.cuda()` calls are no-ops and `torch.cuda.FloatTensor` is `torch.FloatTensor`.
- They trained with `--gpu_ids=0,1`, so both nets were `DataParallel` over two GPUs and their
  code calls `netG.module`. Here each net is wrapped in `Replicas`, which splits the inputs and
  joins the outputs exactly as DataParallel's scatter/gather do, but runs the replicas one after
  the other on the CPU. A batch of 2 thus runs as two single-sample generator replicas (their
  peer-regularization layer pools every pixel of its batch, so this matters), and since their
  `disc_loss` gives the discriminator one style image at a time, the scatter's zip keeps one
  replica: the discriminator sees the first sample only, as it did on their two GPUs.
- Their docs/issues.md says training fails after PyTorch 1.4 ("modified by an inplace
  operation"): the main update backpropagates through encoder weights that the auxiliary
  `optimizer_G_aux.step()` has just changed. PyTorch 1.4's Adam wrote through `p.data`, which
  autograd does not track; Adam here is made to do the same (`p.data` for every param).
One JSON line (stepCpuMs: the process's CPU time per step, all threads; on a shared machine a
step far shorter in CPU time than threads × stepMs was waiting for the CPU):
{"bench":"authors-train","size":…,"batch":…,"replicas":2,"threads":…,"stepMs":[…],"stepCpuMs":[…],
"partsMs":{"forward":[…],"aux":[…],"main":[…],"discriminator":[…]},"perSampleMs":<median step / batch>,
"peakRssMiB":…}
"""
import argparse
import contextlib
import json
import random
import resource
import statistics
import sys
import time

README_TRAIN = ('--dataroot photo2painter13 --checkpoints_dir=./checkpoints --dataset_mode=painters13 --name GanAuxModel '
                '--model gan_aux --netG=resnet_residual --netD=disc_noisy --display_env=GanAuxModel --lambda_gen=1.0 '
                '--lambda_disc=1.0 --lambda_cycle=1.0 --lambda_cont=1.0 --lambda_style=1.0 --lambda_idt=25.0 '
                '--num_style_samples=1 --num_threads=8 --loadSize=286 --mapping_mode=one_to_all --knn=5 --ml_margin=1.0 '
                '--lr=4e-4 --peer_reg=bidir --print_freq=500 --niter=50 --niter_decay=150 --no_html').split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repo', required=True, help="checkout of the authors' repository")
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--replicas', type=int, default=2, help='their GPU count (--gpu_ids=0,1)')
    a = ap.parse_args()

    sys.path.insert(0, a.repo)
    import numpy as np
    import torch
    import importlib
    torch.set_num_threads(a.threads)
    torch.cuda.FloatTensor = torch.FloatTensor
    torch.Tensor.cuda = lambda self, *args, **kw: self
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)

    # PyTorch 1.4's optimizers updated p.data, invisible to autograd's version check (see above).
    adam_module = importlib.import_module('torch.optim.adam')  # torch.optim deletes its `adam` name
    adam = adam_module.adam
    adam_module.adam = lambda params, *args, **kw: adam([p.data for p in params], *args, **kw)

    class Replicas(torch.nn.Module):
        """DataParallel's scatter (chunk along dim 0, zip to the fewest chunks) and gather
        (concatenate along dim 0), with the replicas run in turn on one device."""
        def __init__(self, module, n):
            super().__init__()
            self.module, self.n = module, n

        def scatter(self, obj):
            if torch.is_tensor(obj):
                return list(obj.chunk(self.n))
            if isinstance(obj, tuple) and obj:
                return list(zip(*map(self.scatter, obj)))
            if isinstance(obj, list) and obj:
                return [list(x) for x in zip(*map(self.scatter, obj))]
            return [obj] * self.n

        def gather(self, outs):
            out = outs[0]
            if torch.is_tensor(out):
                return torch.cat(outs, 0)
            if out is None:
                return None
            if isinstance(out, dict):
                return type(out)((k, self.gather([o[k] for o in outs])) for k in out)
            return type(out)(map(self.gather, zip(*outs)))

        def forward(self, *inputs):
            return self.gather([self.module(*x) for x in self.scatter(inputs)])

    from models import networks, create_model
    from options.train_options import TrainOptions
    init_net = networks.init_net
    networks.init_net = lambda net, *args, **kw: Replicas(init_net(net, *args, **kw), a.replicas)

    # Their option parser, on their README's command (less the GPU ids, size and batch).
    sys.argv = ['train.py'] + README_TRAIN + ['--gpu_ids=-1', '--batch_size=%d' % a.batch, '--fineSize=%d' % a.size]
    with contextlib.redirect_stdout(sys.stderr):  # their prints; stdout is for the JSON line
        opt = TrainOptions().gather_options()
        opt.isTrain, opt.gpu_ids = True, []  # what TrainOptions.parse() does, without writing opt.txt
        model = create_model(opt)
        model.setup(opt)

    # Time their sub-calls where optimize_parameters() makes them.
    cur = {}

    def timed(part, fn):
        def wrapper(*args, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                cur[part] = cur.get(part, 0.0) + time.perf_counter() - t0
        return wrapper
    model.forward = timed('forward', model.forward)
    model.backward_G_aux = timed('aux', model.backward_G_aux)
    model.optimizer_G_aux.step = timed('aux', model.optimizer_G_aux.step)
    model.backward_G_main = timed('main', model.backward_G_main)
    model.optimizer_G_main.step = timed('main', model.optimizer_G_main.step)
    model.backward_D = timed('discriminator', model.backward_D)
    model.optimizer_D.step = timed('discriminator', model.optimizer_D.step)

    def image(*lead):
        return torch.rand(*lead, 3, a.size, a.size) * 2 - 1

    step_ms, cpu_ms, parts = [], [], {k: [] for k in ('forward', 'aux', 'main', 'discriminator')}
    for _ in range(a.steps):
        # One batch as their DataLoader collates Painters13 items (num_style_samples=1).
        data = {'A': image(a.batch), 'B': image(a.batch), 'A_style': image(a.batch, 1), 'B_style': image(a.batch, 1),
                'C_style': image(a.batch, 1), 'A_paths': ['a%d.jpg' % i for i in range(a.batch)]}
        cur.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        # train.py's loop body: flatten the style samples into the batch, then one iteration.
        for k in ('A_style', 'B_style', 'C_style'):
            data[k] = torch.reshape(data[k], [data[k].shape[0] * data[k].shape[1], data[k].shape[2], data[k].shape[3], data[k].shape[4]])
        model.set_input(data)
        model.optimize_parameters()
        step_ms.append(round((time.perf_counter() - t0) * 1000))
        cpu_ms.append(round((time.process_time() - c0) * 1000))
        for k in parts:
            parts[k].append(round(cur.get(k, 0.0) * 1000))

    print(json.dumps({'bench': 'authors-train', 'size': a.size, 'batch': a.batch, 'replicas': a.replicas,
                      'threads': torch.get_num_threads(), 'stepMs': step_ms, 'stepCpuMs': cpu_ms, 'partsMs': parts,
                      'perSampleMs': round(statistics.median(step_ms) / a.batch),
                      'peakRssMiB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


if __name__ == '__main__':
    main()
