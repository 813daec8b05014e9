"""Bare Krea2Pipeline latency, split into text encoding, denoising and VAE decode.

    .venv/bin/python scripts/bench_pipeline.py                  # CPU, the tiny random-weight model
    python3 scripts/bench_pipeline.py --mode gpu [--compile blocks]   # Krea 2's full-size shape
    python3 scripts/bench_pipeline.py --mode gpu --weights DIR  # real weights (diffusers layout)
    .venv/bin/python scripts/bench_pipeline.py --mode check     # prove the full-size wiring on CPU

"Bare" is the pipeline alone: no Django, queue, policy gate or storage. GPU
mode builds Krea 2 Turbo's architecture with random weights straight on the
GPU (nothing to download), so latency and memory are the real model's while
the images are noise. It reports the transformer's matmul FLOPs per image and
the compute floor they imply, i.e. how far bare latency is from the hardware.
The end-to-end harness imports `run_bare` and calls it on its own pipeline.
Nothing here imports Django: the GPU machine has none.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from benchlib import cpu_model, usable_cpus

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.generation.worker.stage_timing import measure_stages  # noqa: E402
from apps.metrics.definitions import percentile  # noqa: E402 - no Django: runs on GPU hosts

DEFAULT_PROMPTS = ROOT.parent / "shared/bench/prompts.jsonl"
FALLBACK_PROMPTS = [
    "studio product photo of a matte black wireless earbud case on a white background",
    "portrait of a smiling person in warm window light, shallow depth of field",
    "flat illustration of a fox in the snow, pastel colours",
]
STAGES = ("encode_s", "denoise_s", "decode_s", "total_s")
RANDOM_MODELS = {
    "cpu": "tiny random-weight Krea 2 (apps.generation.tiny_model)",
    "gpu": "full-size Krea 2 Turbo architecture, random weights",
}

# Where each shape comes from (all found, none inferred, except that the vision tower is cut):
# - TRANSFORMER: Krea2Transformer2DModel's defaults, which equal krea-ai/krea-2's
#   `single_mmdit_large_wide` (src/krea2/inference/bf16.py): features 6144, heads 48, kvheads 12,
#   multiplier 4 (SwiGLU int(2*6144/3)*4 = 16384), 28 layers, txtdim 2560, 12 tapped layers,
#   text heads 20/20 (SwiGLU 6912 once rounded up to 128), theta 1e3, rope axes 32/48/48.
#   Both checkpoints (Raw, Turbo) share it. Written out so new diffusers defaults can't move it.
# - TEXT_CONFIG, VISION_CONFIG: Qwen/Qwen3-VL-4B-Instruct's config.json (the encoder the Krea 2
#   model cards and krea-ai/krea-2's conditioner load), `rope_scaling` + `rope_theta` rewritten
#   as transformers 5's `rope_parameters`.
# - SELECT_LAYERS: Krea2Pipeline's default taps = krea-ai/krea-2's DEFAULT_SELECT_LAYERS.
# - VAE_CONFIG: Qwen/Qwen-Image's vae/config.json (krea-ai/krea-2 loads that VAE), which is also
#   AutoencoderKLQwenImage's defaults, latents_mean/std included.
# - SCHEDULER: the Krea 2 shift parameters in Krea2Pipeline's docstring.
# fmt: off
TRANSFORMER = {
    "in_channels": 64, "num_layers": 28, "attention_head_dim": 128, "num_attention_heads": 48,
    "num_key_value_heads": 12, "intermediate_size": 16384, "timestep_embed_dim": 256,
    "text_hidden_dim": 2560, "num_text_layers": 12, "text_num_attention_heads": 20,
    "text_num_key_value_heads": 20, "text_intermediate_size": 6912,
    "num_layerwise_text_blocks": 2, "num_refiner_text_blocks": 2, "axes_dims_rope": (32, 48, 48),
    "rope_theta": 1000.0, "norm_eps": 1e-5,
}
TEXT_CONFIG = {
    "hidden_size": 2560, "intermediate_size": 9728, "num_hidden_layers": 36,
    "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936,
    "rms_norm_eps": 1e-6, "max_position_embeddings": 262144, "attention_bias": False,
    "tie_word_embeddings": True,
    "rope_parameters": {"rope_type": "default", "rope_theta": 5000000.0,
                        "mrope_section": [24, 20, 20], "mrope_interleaved": True},
}
VISION_CONFIG = {
    "depth": 24, "hidden_size": 1024, "intermediate_size": 4096, "num_heads": 16,
    "out_hidden_size": 2560, "deepstack_visual_indexes": [5, 11, 17],
    "num_position_embeddings": 2304, "patch_size": 16, "spatial_merge_size": 2,
    "temporal_patch_size": 2,
}
SELECT_LAYERS = (2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 32, 35)
VAE_CONFIG = {
    "base_dim": 96, "z_dim": 16, "dim_mult": [1, 2, 4, 4], "num_res_blocks": 2,
    "attn_scales": [], "temperal_downsample": [False, True, True],
}
SCHEDULER = {
    "use_dynamic_shifting": True, "base_shift": 0.5, "max_shift": 1.15,
    "base_image_seq_len": 256, "max_image_seq_len": 6400,
}
# fmt: on


def offline_tokenizer() -> Any:
    """The tiny model's byte-level BPE, made to split the chat suffix into Qwen's 5 tokens.

    Token ids only need to be below the vocabulary size. What must match the real
    tokenizer is the length: the pipeline pads [prefix | prompt] to max_len + 34 - 5
    and appends the suffix, so a 5-token suffix leaves exactly max_sequence_length
    text tokens for the transformer, as Qwen's tokenizer does.
    """
    from apps.generation.tiny_model import _tokenizer

    tokenizer = _tokenizer()
    tokenizer.add_tokens(["assistant", "\n"])
    return tokenizer


def build_krea2(
    *,
    device: str,
    dtype: torch.dtype,
    transformer_layers: int | None = None,
    text_layers: int | None = None,
    full_vision: bool = False,
) -> Any:
    """Krea 2 Turbo's pipeline with random weights, each tensor allocated where it will live.

    Building under the target device and default dtype runs every initialiser there:
    seconds on a GPU where ~17B parameters on the CPU would take many minutes and 70 GB.
    Then, as from_pretrained(dtype=...) does, the transformer's norms go back to float32
    (its `_keep_in_fp32_modules`). Text-only prompts never run the vision tower, so
    unless `full_vision` it is cut to one block: 0.39B parameters (0.8 GB in bf16) fewer
    than the real checkpoint holds, which peak memory then lacks. Fewer layers (for the
    CPU check) keep every width and tap the nearest layers instead.
    """
    from diffusers import (
        AutoencoderKLQwenImage,
        FlowMatchEulerDiscreteScheduler,
        Krea2Pipeline,
        Krea2Transformer2DModel,
    )
    from transformers import Qwen3VLConfig, Qwen3VLModel

    transformer_config = dict(TRANSFORMER)
    text_config = dict(TEXT_CONFIG)
    select: tuple[int, ...] = SELECT_LAYERS
    if transformer_layers:
        transformer_config["num_layers"] = transformer_layers
    if text_layers:
        text_config["num_hidden_layers"] = text_layers
        select = tuple(min(index, text_layers) for index in SELECT_LAYERS)
    vision = VISION_CONFIG
    if not full_vision:
        vision = VISION_CONFIG | {"depth": 1, "deepstack_visual_indexes": [0]}
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            transformer: Any = Krea2Transformer2DModel(**transformer_config)
            config = Qwen3VLConfig(
                text_config=text_config, vision_config=vision, tie_word_embeddings=True
            )
            text_encoder = Qwen3VLModel(config)
            vae: Any = AutoencoderKLQwenImage(**VAE_CONFIG)
    finally:
        torch.set_default_dtype(previous)
    keep = transformer._keep_in_fp32_modules or []
    for name, param in transformer.named_parameters():
        if any(part in keep for part in name.split(".")):
            param.data = param.data.float()
    for module in (transformer, text_encoder, vae):
        module.eval().requires_grad_(False)
    pipe: Any = Krea2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(**SCHEDULER),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=offline_tokenizer(),
        transformer=transformer,
        text_encoder_select_layers=select,
        is_distilled=True,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_pipeline(
    mode: str, dtype: torch.dtype, weights: Path | None, *, full_vision: bool = False
) -> tuple[Any, float]:
    """The pipeline and its load time: from_pretrained and placement, or the GPU build."""
    from diffusers import Krea2Pipeline

    device = "cuda" if mode == "gpu" else "cpu"
    with tempfile.TemporaryDirectory() as directory:
        path = weights
        if path is None and mode == "cpu":
            from apps.generation.tiny_model import TURBO_DIR, build_tiny_krea2

            path = build_tiny_krea2(Path(directory))[TURBO_DIR]
        started = time.perf_counter()
        if path is None:
            pipe = build_krea2(device=device, dtype=dtype, full_vision=full_vision)
        else:
            pipe = Krea2Pipeline.from_pretrained(str(path), dtype=dtype).to(device)
        if device == "cuda":
            torch.cuda.synchronize()
        load_s = time.perf_counter() - started
    pipe.set_progress_bar_config(disable=True)
    return pipe, load_s


def transformer_flops(config: Any, *, image_tokens: int, text_tokens: int) -> float:
    """Matmul FLOPs (2 per multiply-add) of one Krea2Transformer2DModel forward, batch 1.

    Counts what the pipeline executes: projections, QK^T and AV over every text and image
    token (the padding mask removes no work), SwiGLU, and the text-fusion stage, which is
    recomputed at every step though its input never changes. Elementwise work, norms and
    softmax are left out. Matches torch's FlopCounterMode on the real module (see --mode check).
    """
    c = dict(config)
    d = c["attention_head_dim"] * c["num_attention_heads"]
    kv = c["attention_head_dim"] * c["num_key_value_heads"]
    seq = image_tokens + text_tokens
    block = 3 * d * d + 2 * d * kv + 3 * d * c["intermediate_size"]  # q, gate, out, k, v, MLP
    blocks = c["num_layers"] * (2 * seq * block + 4 * seq * seq * d)
    t, taps = c["text_hidden_dim"], c["num_text_layers"]
    t_kv = t // c["text_num_attention_heads"] * c["text_num_key_value_heads"]
    fusion_block = 3 * t * t + 2 * t * t_kv + 3 * t * c["text_intermediate_size"]
    layerwise = text_tokens * (2 * taps * fusion_block + 4 * taps * taps * t)
    refiner = 2 * text_tokens * fusion_block + 4 * text_tokens * text_tokens * t
    fusion = (
        c["num_layerwise_text_blocks"] * layerwise
        + 2 * text_tokens * taps * t  # projector over the tapped-layer axis
        + c["num_refiner_text_blocks"] * refiner
    )
    edges = 2 * text_tokens * (t * d + d * d) + 4 * image_tokens * c["in_channels"] * d
    timestep = 2 * (c["timestep_embed_dim"] * d + d * d + 6 * d * d)
    return float(blocks + fusion + edges + timestep)


def summarise(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
        "mean": sum(values) / len(values),
        "min": min(values),
        "max": max(values),
    }


def run_bare(
    pipe: Any,
    prompts: list[str],
    *,
    width: int,
    height: int,
    steps: int,
    guidance: float,
    runs: int,
    warmup: int,
    max_sequence_length: int,
    seed: int = 0,
) -> dict[str, Any]:
    """Time `warmup + runs` pipeline calls stage by stage, cycling through `prompts`.

    Calls are made as the worker makes them (CPU generator, PIL output), one image each.
    Warm-up calls are reported apart (they hold compilation and lazy initialisation).
    """
    device = getattr(pipe, "_execution_device", None) or pipe.device  # follows offload hooks
    on_cuda = torch.device(device).type == "cuda"
    if on_cuda:
        torch.cuda.reset_peak_memory_stats()
    resident = torch.cuda.memory_allocated() if on_cuda else None
    calls: list[dict[str, Any]] = []
    for index in range(warmup + runs):
        with measure_stages(pipe) as times:
            pipe(
                prompt=prompts[index % len(prompts)],
                height=height,
                width=width,
                num_inference_steps=steps,
                guidance_scale=guidance,
                generator=torch.Generator(device="cpu").manual_seed(seed + index),
                max_sequence_length=max_sequence_length,
            )
        calls.append(times.as_dict() | {"per_step_denoise_s": times.denoise_s / steps})
    measured = calls[warmup:]
    summary = {k: summarise([c[k] for c in measured]) for k in (*STAGES, "per_step_denoise_s")}
    return {
        "settings": {
            "width": width,
            "height": height,
            "steps": steps,
            "guidance": guidance,
            "runs": runs,
            "warmup": warmup,
            "max_sequence_length": max_sequence_length,
            "prompts": len(prompts),
        },
        "summary": summary,
        "warmup_calls": calls[:warmup],
        "calls": measured,
        "gpu_memory_before_bytes": resident,
        "peak_gpu_memory_bytes": torch.cuda.max_memory_allocated() if on_cuda else None,
    }


def flops_report(
    pipe: Any, result: dict[str, Any], *, peak_tflops: float, measured_tflops: float | None
) -> dict[str, Any]:
    """Transformer FLOPs per image and the compute floor they set, next to bare latency.

    Against the issue's figure (1.03 PFLOP, about 1.04 s at 989 TFLOP/s, for Krea 2 Turbo at
    1024x1024 and 8 steps): one forward here is 128.99 TFLOP over 4096 image + 512 text
    tokens (112.0 in projections and MLP, 14.6 in attention, 2.3 in text fusion, the rest in
    the embedders), 1.032 PFLOP for 8 steps, 1.043 s at 989 TFLOP/s: the two agree. Both
    count the transformer alone; the Qwen3-VL encoder (4.1 TFLOP for 546 tokens) and the VAE
    decode (11.7 TFLOP at 1024x1024) add 1.5%, a 1.059 s floor for the whole image.
    """
    s = result["settings"]
    patch = pipe.vae_scale_factor * pipe.patch_size
    image_tokens = (s["height"] // patch) * (s["width"] // patch)
    # The pipeline keeps max_sequence_length + (suffix tokens - 5) text tokens: exactly
    # max_sequence_length with Qwen's tokenizer (and ours for GPU mode), more with the tiny one.
    suffix = len(pipe.tokenizer(pipe.prompt_template_encode_suffix).input_ids)
    text_tokens = s["max_sequence_length"] + suffix - pipe.prompt_template_encode_num_suffix_tokens
    forward = transformer_flops(
        pipe.transformer.config, image_tokens=image_tokens, text_tokens=text_tokens
    )
    per_image = forward * s["steps"] * (2 if s["guidance"] > 0 else 1)
    bare = result["summary"]["total_s"]["p50"]
    report: dict[str, Any] = {
        "image_tokens": image_tokens,
        "text_tokens": text_tokens,
        "transformer_tflop_per_forward": forward / 1e12,
        "transformer_pflop_per_image": per_image / 1e15,
        "peak_tflops_nominal": peak_tflops,
        "floor_s_nominal": per_image / (peak_tflops * 1e12),
        "bare_p50_over_floor": bare / (per_image / (peak_tflops * 1e12)),
        "denoise_p50_tflops_achieved": per_image / result["summary"]["denoise_s"]["p50"] / 1e12,
    }
    if measured_tflops:
        report["peak_tflops_measured"] = measured_tflops
        report["floor_s_measured"] = per_image / (measured_tflops * 1e12)
    return report


def measure_matmul_tflops(size: int = 8192, repeats: int = 10) -> float:
    """What this GPU actually sustains on a large bf16 product: the honest floor's divisor."""
    a = torch.randn(size, size, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(size, size, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    torch.cuda.synchronize()
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e12


def machine_info() -> dict[str, Any]:
    import diffusers
    import transformers

    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cpus": usable_cpus(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
    }
    if torch.cuda.is_available():
        info |= {
            "gpu": torch.cuda.get_device_name(),
            "gpu_memory_bytes": torch.cuda.get_device_properties(0).total_memory,
            "cuda": torch.version.cuda,
        }
    return info


def model_summary(pipe: Any) -> dict[str, Any]:
    def params(module: Any) -> int:
        return sum(p.numel() for p in module.parameters())

    encoder = pipe.text_encoder
    return {
        "transformer_params": params(pipe.transformer),
        "text_encoder_params": params(encoder),
        "text_encoder_vision_params": params(encoder.visual) if hasattr(encoder, "visual") else 0,
        "vae_params": params(pipe.vae),
        "transformer_config": {
            k: v for k, v in pipe.transformer.config.items() if k in TRANSFORMER
        },
        "text_encoder_layers": encoder.config.text_config.num_hidden_layers,
        "text_encoder_select_layers": list(pipe.text_encoder_select_layers),
        "is_distilled": pipe.config.is_distilled,
        "dtype": str(pipe.transformer.dtype).removeprefix("torch."),
    }


def load_prompts(path: Path) -> tuple[list[str], str]:
    if not path.is_file():
        return FALLBACK_PROMPTS, f"built-in ({path} not found)"
    lines = path.read_text().splitlines()
    return [json.loads(line)["prompt"] for line in lines if line.strip()], str(path)


def print_table(result: dict[str, Any], title: str) -> None:
    print(title)
    print(f"  {'stage':<20}{'p50 ms':>12}{'p90 ms':>12}{'mean ms':>12}")
    for stage, row in result["summary"].items():
        label = stage.removesuffix("_s")
        cells = "".join(f"{row[k] * 1000:12.1f}" for k in ("p50", "p90", "mean"))
        print(f"  {label:<20}{cells}")
    for index, call in enumerate(result["warmup_calls"]):
        print(f"  warm-up {index + 1}: total {call['total_s'] * 1000:.1f} ms")
    if result["peak_gpu_memory_bytes"]:
        print(
            f"  GPU memory: {result['gpu_memory_before_bytes'] / 2**30:.2f} GiB resident, "
            f"{result['peak_gpu_memory_bytes'] / 2**30:.2f} GiB peak (allocated by torch)"
        )


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"architecture check failed: {what}")


def _counted_flops(module: Any, *args: Any, **kwargs: Any) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(*args, **kwargs)
    return float(counter.get_total_flops())


def check_architecture(width: int, height: int, max_sequence_length: int) -> dict[str, Any]:
    """Prove on the CPU, before GPU time is spent, that GPU mode builds Krea 2's shape.

    The full-size pipeline is built on the meta device (shapes, no memory) to count
    parameters and to count FLOPs with torch's FlopCounterMode against `transformer_flops`.
    Then the same builder, cut to one transformer and one text layer but at full width,
    runs one real bf16 call end to end: dims, rope axes, text width and taps all meet.
    """
    import numpy as np

    full = build_krea2(device="meta", dtype=torch.bfloat16, full_vision=True)
    config, text = full.transformer.config, full.text_encoder.config.text_config
    _require(config.text_hidden_dim == text.hidden_size, "text width")
    _require(len(SELECT_LAYERS) == config.num_text_layers, "one tap per fused text layer")
    _require(max(SELECT_LAYERS) <= text.num_hidden_layers, "taps inside the encoder")
    _require(sum(config.axes_dims_rope) == config.attention_head_dim, "rope axes")
    suffix = full.tokenizer(full.prompt_template_encode_suffix).input_ids
    _require(len(suffix) == 5, "the chat suffix is 5 tokens, as with Qwen's tokenizer")
    _require(len(full.tokenizer) <= text.vocab_size, "token ids inside the vocabulary")

    patch = full.vae_scale_factor * full.patch_size
    image_tokens, text_tokens = (height // patch) * (width // patch), max_sequence_length
    encoder_tokens = max_sequence_length + full.prompt_template_encode_start_idx
    with torch.device("meta"):
        latents = torch.randn(1, image_tokens, config.in_channels, dtype=torch.bfloat16)
        taps = torch.randn(1, text_tokens, len(SELECT_LAYERS), text.hidden_size).bfloat16()
        mask = torch.ones(1, text_tokens, dtype=torch.bool)
        positions = torch.zeros(text_tokens + image_tokens, 3)
        timestep = torch.ones(1, dtype=torch.bfloat16)
        ids = torch.zeros(1, encoder_tokens, dtype=torch.long)
        text_positions = torch.zeros(3, 1, encoder_tokens, dtype=torch.long)
        z = torch.randn(1, full.vae.config.z_dim, 1, height // 8, width // 8).bfloat16()
    counted = _counted_flops(full.transformer, latents, taps, timestep, positions, mask)
    analytic = transformer_flops(config, image_tokens=image_tokens, text_tokens=text_tokens)
    _require(abs(counted / analytic - 1) < 0.005, f"FLOPs {counted=:.4g} vs {analytic=:.4g}")
    # The encoder's padding mask needs real values (.item()), so it is counted without one:
    # the same matmuls, since SDPA computes masked positions anyway.
    encoder = _counted_flops(
        full.text_encoder, input_ids=ids, position_ids=text_positions, use_cache=False
    )
    decode = _counted_flops(full.vae.decode, z)

    started = time.perf_counter()
    small = build_krea2(device="cpu", dtype=torch.bfloat16, transformer_layers=1, text_layers=1)
    build_s = time.perf_counter() - started
    call: dict[str, Any] = {"height": 256, "width": 256, "num_inference_steps": 1}
    call |= {"guidance_scale": 0.0, "max_sequence_length": 64, "output_type": "np"}
    with measure_stages(small) as times:
        generator = torch.Generator(device="cpu").manual_seed(0)
        images = small(prompt=FALLBACK_PROMPTS[0], generator=generator, **call).images
    _require(images.shape == (1, 256, 256, 3), "image shape")
    _require(bool(np.isfinite(images).all()), "finite pixels")
    return {
        "full_size": model_summary(full),
        "flops_at": {"width": width, "height": height, "text_tokens": text_tokens},
        "transformer_tflop_counted": counted / 1e12,
        "transformer_tflop_analytic": analytic / 1e12,
        "text_encoder_tflop_counted": encoder / 1e12,
        "vae_decode_tflop_counted": decode / 1e12,
        "shrunk_forward": {
            "layers": "1 transformer block, 1 text layer, full widths, bf16, 256x256, 1 step",
            "build_s": build_s,
            "transformer_params": model_summary(small)["transformer_params"],
            **times.as_dict(),
        },
    }


def _resolution(value: str) -> tuple[int, int]:
    width, _, height = value.lower().partition("x")
    return int(width), int(height or width)


def bench(args: argparse.Namespace) -> dict[str, Any]:
    width, height = args.resolution
    on_gpu = args.mode == "gpu"
    dtype = getattr(torch, args.dtype or ("bfloat16" if on_gpu else "float32"))
    prompts, prompt_source = load_prompts(args.prompts)
    pipe, load_s = load_pipeline(args.mode, dtype, args.weights, full_vision=args.full_vision)
    if args.attention_backend:
        pipe.transformer.set_attention_backend(args.attention_backend)
    if args.compile == "blocks":  # regional: one block compiled, reused 28 times
        pipe.transformer.compile_repeated_blocks(mode=args.compile_mode)
    elif args.compile == "full":
        pipe.transformer.compile(mode=args.compile_mode)
    settings = {"width": width, "height": height, "steps": args.steps, "guidance": args.guidance}
    settings |= {"runs": args.runs, "warmup": args.warmup}
    bare = run_bare(pipe, prompts, max_sequence_length=args.max_sequence_length, **settings)
    measured = measure_matmul_tflops() if on_gpu else None
    return {
        "benchmark": "bare Krea2Pipeline",
        "mode": args.mode,
        "model": str(args.weights) if args.weights else RANDOM_MODELS[args.mode],
        "machine": machine_info(),
        "model_summary": model_summary(pipe),
        "compile": args.compile if args.compile == "off" else f"{args.compile}:{args.compile_mode}",
        "attention_backend": args.attention_backend or "default",
        "prompts": prompt_source,
        "load_s": load_s,
        "bare": bare,
        "flops": flops_report(pipe, bare, peak_tflops=args.peak_tflops, measured_tflops=measured),
    }


def _si(value: float, space: str = "") -> str:
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:.4g}{space}{prefix}"
    return f"{value:.4g}{space}"


def print_report(results: dict[str, Any]) -> None:
    machine, model, flops = results["machine"], results["model_summary"], results["flops"]
    s = results["bare"]["settings"]
    print(
        f"machine: {machine.get('gpu', machine['cpu'])}, torch {machine['torch']}, "
        f"diffusers {machine['diffusers']}, transformers {machine['transformers']}"
    )
    print(
        f"model: {results['model']}; parameters: transformer {_si(model['transformer_params'])},"
        f" text encoder {_si(model['text_encoder_params'])}, VAE {_si(model['vae_params'])};"
        f" {model['dtype']}, compile {results['compile']}; load {results['load_s']:.1f} s"
    )
    print_table(
        results["bare"],
        f"{s['width']}x{s['height']}, {s['steps']} steps, guidance "
        f"{s['guidance']}, {s['runs']} runs after {s['warmup']} warm-up",
    )
    print(f"transformer: {_si(flops['transformer_pflop_per_image'] * 1e15, ' ')}FLOP per image")
    if results["mode"] == "gpu":
        print(
            f"compute floor: {flops['floor_s_nominal']:.3f} s at "
            f"{flops['peak_tflops_nominal']:.0f} TFLOP/s, {flops['floor_s_measured']:.3f} s "
            f"at the measured {flops['peak_tflops_measured']:.0f}; bare p50 is "
            f"{flops['bare_p50_over_floor']:.2f}x the nominal floor"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--mode", choices=("cpu", "gpu", "check"), default="cpu")
    add("--weights", type=Path, help="a diffusers Krea 2 directory to load instead")
    add("--resolution", type=_resolution, default=(1024, 1024), help="N or WxH")
    add("--steps", type=int, default=8)
    add("--guidance", type=float, default=0.0, help="> 0 runs CFG: two passes per step")
    add("--dtype", choices=("bfloat16", "float16", "float32"), help="default: bf16 on GPU")
    add("--compile", choices=("off", "blocks", "full"), default="off", help="the transformer")
    add("--compile-mode", default="default", help="torch.compile mode")
    add("--attention-backend", help="a diffusers attention backend, e.g. _native_cudnn")
    add("--runs", type=int, default=5)
    add("--warmup", type=int, default=1)
    add("--prompts", type=Path, default=DEFAULT_PROMPTS)
    add("--max-sequence-length", type=int, default=512)
    add("--peak-tflops", type=float, default=989.0, help="nominal dense bf16 (H100/H200 SXM)")
    add("--full-vision", action="store_true", help="allocate the (idle) vision tower too")
    add("--json", type=Path, help="write the results here")
    add(
        "--save",
        type=Path,
        help="write the built pipeline here (a diffusers directory the "
        "end-to-end harness and the workers load with --weights) and stop",
    )
    args = parser.parse_args(argv)
    if args.save:
        dtype = getattr(torch, args.dtype or ("bfloat16" if args.mode == "gpu" else "float32"))
        pipe, _ = load_pipeline(args.mode, dtype, args.weights, full_vision=True)
        pipe.save_pretrained(args.save)
        print(f"saved {args.save}")
        return 0

    if args.mode == "check":
        width, height = args.resolution
        results = {"machine": machine_info()}
        results |= check_architecture(width, height, args.max_sequence_length)
        print(json.dumps(results, indent=2))
    else:
        if args.mode == "gpu" and not torch.cuda.is_available():
            parser.error("--mode gpu needs CUDA")
        results = bench(args)
        print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
