#!/usr/bin/env bash
# Bare Krea2Pipeline on the lent GPU machine: Krea 2 Turbo's full-size architecture with
# random weights, 1024x1024, 8 steps, bf16; eager first, then the transformer compiled.
#
# Run from the repository root, carrying .whl (the diffusers wheel; prompts.jsonl optional):
#     bash scripts/gpu_bench.sh
# That machine has torch, transformers and diffusers' other needs but not diffusers itself,
# no Django and no network; bench_pipeline.py imports no Django. Results land in $OUT.
# BUDGET_S (default 420) stops the script from starting the compiled run after that many
# seconds, so one call stays inside the device time.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
OUT="${OUT:-$PWD/out}"
mkdir -p "$OUT"
BUDGET_S="${BUDGET_S:-420}"
started=$SECONDS
log="$OUT/gpu_bench.log"

if ! python3 -c "import diffusers" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi

prompts=()
[ -f .whl/prompts.jsonl ] && prompts=(--prompts .whl/prompts.jsonl)

{
    nvidia-smi
    python3 -c "import sys, torch, transformers, diffusers, huggingface_hub as h
print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda,
      'transformers', transformers.__version__, 'diffusers', diffusers.__version__,
      'hub', h.__version__)
from transformers import Qwen3VLModel; from diffusers import Krea2Pipeline; print('imports ok')"
} 2>&1 | tee "$log" || exit 1

common=(--mode gpu --resolution 1024 --steps 8 --dtype bfloat16 --warmup 2 --runs 10 "${prompts[@]}")

echo "== eager ==" | tee -a "$log"
timeout 300 python3 scripts/bench_pipeline.py "${common[@]}" --json "$OUT/bare_eager.json" \
    2>&1 | tee -a "$log"
eager=$?

if (( eager != 0 )); then
    echo "== compiled run skipped: the eager run failed ($eager) ==" | tee -a "$log"
elif (( SECONDS - started < BUDGET_S )); then
    echo "== compiled (regional: the 28 transformer blocks) ==" | tee -a "$log"
    timeout $(( BUDGET_S + 120 - (SECONDS - started) )) python3 scripts/bench_pipeline.py \
        "${common[@]}" --compile blocks --json "$OUT/bare_compiled.json" 2>&1 | tee -a "$log"
else
    echo "== compiled run skipped: $(( SECONDS - started )) s used of BUDGET_S=$BUDGET_S ==" \
        | tee -a "$log"
fi
echo "total $(( SECONDS - started )) s" | tee -a "$log"
exit $eager
