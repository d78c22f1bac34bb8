"""Peak memory of loading an ImageNet-32-shaped dataset: `--images` random 32x32x3 images in the official npz batch
format, read by `readers.read_imagenet32` (thresholded at 1/4, 2/4, 3/4 and bit-packed while streamed).
The read runs in a fresh process; its peak resident memory (the kernel's VmHWM, reset after the imports) above its
size before the read is compared with the packed size of the result (goal: under 2x).

    python tests/bench_data.py [--images 100000]
"""
import argparse, json, os, subprocess, sys, tempfile, time
from memory import rss, reset_peak, peak_rss
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--images', type=int, default=100_000); ap.add_argument('--per-file', type=int, default=25_000)
    ap.add_argument('--read', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.read:
        import numpy as np
        from dlgn_nb.readers import read_imagenet32
        reset_peak(); before = rss(); t = time.perf_counter()
        xtr, ytr, xte, yte = read_imagenet32(a.read)
        secs = time.perf_counter() - t
        peak = peak_rss()
        print(json.dumps({'images': len(xtr) + len(xte), 'packed': xtr.nbytes + xte.nbytes, 'peak_extra': peak - before, 'seconds': secs}))
        return
    import numpy as np
    from dlgn_nb.readers import write_imagenet32_file
    with tempfile.TemporaryDirectory() as d:
        rng = np.random.default_rng(0)
        n_val = max(1, a.images // 50)
        sizes = [(f'train_data_batch_{i + 1}.npz', min(a.per_file, a.images - n_val - i * a.per_file))
                 for i in range(-(-(a.images - n_val) // a.per_file))] + [('val_data.npz', n_val)]
        for name, n in sizes:
            write_imagenet32_file(Path(d) / name, rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 1000, n))
        files = sum((Path(d) / n).stat().st_size for n, _ in sizes)
        out = subprocess.run([sys.executable, __file__, '--read', d], capture_output=True, text=True)
        if out.returncode: sys.exit(out.stderr)
        r = json.loads(out.stdout.strip().splitlines()[-1])
    mib = lambda b: b / 2**20
    print(f"ImageNet-32-shaped set: {r['images']:,} images in {len(sizes)} npz files ({mib(files):,.0f} MiB of bytes); read in {r['seconds']:.1f} s")
    print(f"  packed result (9,216 bits per image): {mib(r['packed']):8,.0f} MiB")
    print(f"  peak memory above the start:          {mib(r['peak_extra']):8,.0f} MiB  = {r['peak_extra'] / r['packed']:.2f}x the packed size (goal < 2x)")
    print(f"  as float32 it would be:               {mib(r['images'] * 9216 * 4):8,.0f} MiB")

if __name__ == '__main__': main()
