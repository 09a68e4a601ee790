#!/usr/bin/env bash
# Every GPU check of coursekit in one command, on a machine with an NVIDIA GPU (see DEVELOPERS.md,
# "On a GPU"). Run from the repository root:
#
#     bash tools/gpu_check.sh [OUT]      # or: make gpu-check
#
# 1. installs the wheels in .whl/ (python -m tools.gpu_wheels fetches them, for a machine that
#    cannot download) into a folder of their own, first on PYTHONPATH;
# 2. the unit tests on the GPU, tests/test_cuda.py first, with COURSEKIT_GPU_CHECK=1: a missing
#    GPU fails them, and every learner a test builds must be on the GPU (tests/conftest.py);
# 3. lessons 01-04 in full mode at the course's sizes (python -m tools.gpu_lessons);
# 4. the trainer's speed on the GPU (python bench/gpu.py).
#
# Writes OUT/gpu_check.log and OUT/gpu_figures.json (OUT: the argument, else $OUT, else
# gpu_check_out). Each step has a time limit, so the whole run ends within about 8 minutes; a
# failed step does not stop the later ones, and the exit status is 1 if any failed. Without a
# CUDA GPU it stops at once with status 2.
set -uo pipefail
out=${1:-${OUT:-gpu_check_out}}
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1
python=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 COURSEKIT_GPU_CHECK=1
start=$(date +%s)
say() { echo "== $(($(date +%s) - start)) s: $*"; }

if ls .whl/*.whl >/dev/null 2>&1; then
  say "installing $(ls .whl/*.whl | wc -l) wheels from .whl/"
  site=$(mktemp -d)/site
  "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$site" .whl/*.whl || { echo "the wheels in .whl/ did not install"; exit 2; }
  export PYTHONPATH="$site"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

"$python" - <<'PY' || exit 2
import sys, torch
if not torch.cuda.is_available():
    sys.exit("no CUDA GPU: these checks need one (torch %s sees none)" % torch.__version__)
p = torch.cuda.get_device_properties(0)
print(f"{p.name}, compute capability {p.major}.{p.minor}, {p.total_memory / 2**30:.0f} GiB; "
      f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s)")
PY
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true

# the lessons' mirror is built on the CPU while the tests use the GPU
mirror=$(mktemp -d)/mirror
"$python" -m tools.mirror build "$mirror" > "$out/mirror_build.log" 2>&1 &
mirror_build=$!

failed=()
step() {  # step NAME SECONDS COMMAND...: run with a time limit, note a failure, carry on
  local name=$1 limit=$2; shift 2
  say "$name (limit ${limit} s)"
  timeout --kill-after=10 "$limit" "$@"
  local status=$?
  say "$name: exit status $status"
  [ "$status" -eq 0 ] || failed+=("$name ($status)")
}

workers=$("$python" -c "import xdist" 2>/dev/null && echo "-n 6" || echo "")
step "CUDA tests" 90 "$python" -m pytest -q -p no:cacheprovider -rs tests/test_cuda.py \
  --junitxml "$out/cuda_tests.xml"
step "unit tests on the GPU" 150 "$python" -m pytest -q -p no:cacheprovider -rs $workers \
  -m "not browser and not release and not full_mode and not lessons" --ignore=tests/browser \
  --ignore=tests/test_cuda.py --ignore=tests/test_colab_platform.py --ignore=tests/test_release.py \
  --ignore=tests/test_colab_widgets.py --ignore=tests/test_lessons.py --junitxml "$out/unit_tests.xml"
wait "$mirror_build" || echo "building the mirror failed: see $out/mirror_build.log"
step "lessons 01-04 in full mode" 150 "$python" -m tools.gpu_lessons --mirror "$mirror" \
  --out "$out/lessons.json"
step "speed" 90 "$python" bench/gpu.py --json "$out/bench.json"

"$python" - "$out" "${failed[@]+"${failed[@]}"}" <<'PY'
import json, sys, xml.etree.ElementTree as ET
from pathlib import Path
out, failed = Path(sys.argv[1]), sys.argv[2:]
figures = {"failed_steps": failed}
for name in ("cuda_tests", "unit_tests"):
    path = out / f"{name}.xml"
    if path.exists():
        suite = ET.parse(path).getroot().find("testsuite")
        figures[name] = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
        figures[name]["seconds"] = float(suite.get("time", 0))
for name in ("lessons", "bench"):
    path = out / f"{name}.json"
    if path.exists():
        figures[name] = json.loads(path.read_text())
(out / "gpu_figures.json").write_text(json.dumps(figures, indent=1) + "\n")
print(json.dumps(figures, indent=1))
PY
say "done; failed steps: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ]
