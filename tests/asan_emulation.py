"""The CPU emulation of the CUDA kernels built with AddressSanitizer, run on odd shapes against the PyTorch reference.
Run by tests/test_gpu_readiness.py in a process with libasan preloaded; `--overflow` makes a launch read past a
tensor on purpose, to show that the sanitizer catches it."""
import sys
import torch
from dlgn_nb.native import load_library
from dlgn_nb.cuda import EmulatedKernels, emulation_source, kernel_forward, kernel_backward, pack_bits, packed_forward, group_counts, tile_launch
from dlgn_nb.logic import make_wiring, TorchLogicFunction
from dlgn_nb.gates import gate_coefficients

class AsanKernels(EmulatedKernels):
    def __init__(self):
        self.lib = load_library(emulation_source(), 'cuda_emulation_asan', flags=('-O1', '-g', '-fsanitize=address', '-fno-omit-frame-pointer'))

K = AsanKernels()
g = torch.Generator().manual_seed(0)
for n_in, n_out, batch in [(7, 13, 1), (40, 300, 37), (64, 33, 100)]:
    a, b = make_wiring(n_in, n_out, 'random', g)
    x = torch.rand(n_in, batch, generator=g); coef = gate_coefficients(torch.randn(n_out, 16, generator=g))
    y = kernel_forward(K, x, coef, a, b)
    gy = torch.randn(n_out, batch, generator=g)
    gx, gc = kernel_backward(K, x, coef, a, b, gy)
    xr, cr = x.clone().requires_grad_(), coef.clone().requires_grad_()
    yr = TorchLogicFunction.apply(xr, cr, a, b); yr.backward(gy)
    assert torch.allclose(y, yr, atol=1e-5) and torch.allclose(gx, xr.grad, atol=1e-4) and torch.allclose(gc, cr.grad, atol=1e-3)
    xb = torch.randint(0, 2, (batch, n_in), generator=g, dtype=torch.uint8)
    h = packed_forward(K, pack_bits(xb), torch.randint(0, 16, (n_out,), generator=g), a, b)
    counts = group_counts(K, h, 3, batch)
    assert counts.shape == (batch, 3)
if '--overflow' in sys.argv:                                  # y holds 12 of the 13 outputs the launch writes
    a, b = make_wiring(7, 13, 'random', g)
    K.launch('logic_forward', *tile_launch(13, 1), torch.rand(7, 1), a, b, torch.rand(13 * 4), torch.empty(12, 1), 13, 1)
print('ASAN OK')
