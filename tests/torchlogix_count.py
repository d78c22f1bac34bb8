"""Run inside an environment with torchlogix (Python >= 3.12, torch, numpy; torchlogix installed with --no-deps):
transfer a dlgn_nb model file into torchlogix's own layers, check that torchlogix computes the same class counts on
the given inputs, then trace it into torchlogix's `Circuit` and run its `simplify`. Prints one JSON line.
No dlgn_nb import: the model file is read with numpy alone (format version 1: pins, gate ids, Group-Sum).

    python torchlogix_count.py MODEL.npz CHECK.npz      (CHECK.npz: 'bits' [n, n_inputs], 'counts' [n, n_classes])
"""
import json, sys, time
from importlib.metadata import version
import numpy as np, torch
from torchlogix import Circuit
from torchlogix.layers.dense import LogicDense
from torchlogix.layers.groupsum import GroupSum

def main(model_path, check_path):
    z = np.load(model_path)
    meta = json.loads(bytes(z['meta.json']).decode())
    assert meta['version'] == 1, 'torchlogix takes a plain (version 1) model'
    layers, n_prev = [torch.nn.Flatten()], meta['n_inputs']
    for i in range(meta['n_layers']):
        a, b, g = (z[f'layer{i}_{p}'].astype(np.int64) for p in ('a', 'b', 'gate'))
        layer = LogicDense(n_prev, len(g), parametrization='raw', connections='fixed')
        with torch.no_grad():                        # the same pins; one-hot logits on the same gate (difflogic's order)
            layer.connections.indices.copy_(torch.from_numpy(np.stack([a, b])))
            layer.weight.zero_(); layer.weight[torch.arange(len(g)), torch.from_numpy(g)] = 100.0
        layers.append(layer); n_prev = len(g)
    k, gs = meta['head']['n_classes'], meta['head']['group_size']
    assert k * gs == n_prev, 'the head must read every output of the last layer'
    layers.append(GroupSum(k, tau=1.0))
    net = torch.nn.Sequential(*layers).eval()
    c = np.load(check_path)
    with torch.no_grad(): counts = net(torch.from_numpy(c['bits']).float()).round().to(torch.int64).numpy()
    agree = bool((counts == c['counts']).all())
    circuit = Circuit.from_model(net, [meta['n_inputs']])
    traced = len(circuit.gates)
    t = time.perf_counter(); circuit.simplify(); seconds = time.perf_counter() - t
    print(json.dumps({'torchlogix': version('torchlogix'), 'agree': agree, 'traced_gates': traced, 'simplified_gates': len(circuit.gates),
                      'simplify_seconds': round(seconds, 1)}))

if __name__ == '__main__': main(*sys.argv[1:])
