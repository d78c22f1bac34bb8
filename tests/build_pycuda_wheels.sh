#!/usr/bin/env bash
# Build a pycuda wheel (and download its dependencies' wheels) into OUT, for a GPU machine without internet.
# usage: tests/build_pycuda_wheels.sh PYTHON OUT      e.g. python3.12 .whl
# pycuda ships no wheels; its build needs cuda.h and a libcuda to link against. We find the toolkit from nvcc and
# link against an empty stand-in libcuda (the real driver is found at run time on the GPU machine).
set -euo pipefail
PY=${1:-python3.12}; OUT=${2:-.whl}
mkdir -p "$OUT"; OUT=$(readlink -f "$OUT")
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
CUDA_ROOT=$(readlink -f "$(nvcc --dryrun -c -x cu -o /dev/null /dev/null 2>&1 | sed -n 's/^#\$ TOP=//p' | head -1)")
test -f "$CUDA_ROOT/include/cuda.h" || { echo "cuda.h not found under $CUDA_ROOT"; exit 1; }
mkdir -p "$WORK/stub" "$WORK/home"
gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$WORK/stub/libcuda.so" -x c /dev/null
printf 'CUDA_ROOT = "%s"\nCUDA_ENABLE_CURAND = False\nCUDADRV_LIB_DIR = ["%s"]\n' "$CUDA_ROOT" "$WORK/stub" > "$WORK/home/.aksetup-defaults.py"
HOME="$WORK/home" LDFLAGS="-Wl,--no-as-needed" "$PY" -m pip wheel -q --no-deps -w "$OUT" pycuda==2026.1
PYV=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYV" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "$OUT" pytools==2026.1.1 mako==1.4.3 siphash24==1.9 platformdirs==4.14.8
ls "$OUT"
