"""The end-to-end benchmark's figures, goals, and files (JSON, Markdown table, PNG plot)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apps.metrics.definitions import percentile

GOALS = {
    "overhead_p50_ms": 15.0,
    "overhead_p90_ms": 30.0,
    "efficiency_c10": 1.10,
}


def _pct(values: list[float | None], q: float) -> float | None:
    return percentile([v for v in values if v is not None], q)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.1f} ms"


def _level_figures(level: dict[str, Any], workers: int, bare_p50: float) -> dict[str, Any]:
    jobs = level["jobs"]
    ok = [j for j in jobs if j["status"] == "succeeded"]
    ttf = [j["ttf_s"] for j in ok]
    c = level["concurrency"]
    p50 = _pct(ttf, 0.5)
    stages = {
        name: _pct([j["timings"].get(name) for j in ok if j["timings"]], 0.5)
        for name in ("gate", "setup", "encode", "denoise", "decode", "image_filter", "png")
    }
    # The same job's TTF minus its own pipeline time: the platform's share, free of
    # the run-to-run noise of the pipeline itself (which the bare comparison carries).
    paired = [j["ttf_s"] - j["pipeline_s"] for j in ok if j.get("pipeline_s")]
    return {
        "concurrency": c,
        "paired_overhead_p50_s": _pct(paired, 0.5),
        "paired_overhead_p90_s": _pct(paired, 0.9),
        "jobs": len(jobs),
        "failed": len(jobs) - len(ok),
        "ttf_p50_s": p50,
        "ttf_p90_s": _pct(ttf, 0.9),
        "ttf_p99_s": _pct(ttf, 0.99),
        "client_p50_s": _pct([j["client_s"] for j in ok], 0.5),
        "queue_wait_p50_s": _pct([j["queue_wait_s"] for j in ok], 0.5),
        "run_p50_s": _pct([j["run_s"] for j in ok], 0.5),
        "stage_p50_s": stages,
        "images_per_s": len(ok) / level["wall_s"] if level["wall_s"] else None,
        "queueing_efficiency": p50 / (math.ceil(c / workers) * bare_p50) if p50 else None,
        "raw": jobs,
    }


def _machine() -> dict[str, Any]:
    from bench_pipeline import machine_info

    return machine_info()


def report(
    args: Any,
    *,
    cold: dict[str, Any],
    bare_before: dict[str, Any],
    bare_after: dict[str, Any],
    levels: list[dict[str, Any]],
    out: Path,
) -> dict[str, Any]:
    bare = bare_before["summary"]
    bare_p50, bare_p90 = bare["total_s"]["p50"], bare["total_s"]["p90"]
    figures = [_level_figures(level, args.workers, bare_p50) for level in levels]
    # The same ratio against the workers' own pipeline time at c=1 (measured per
    # job in the worker), which is free of the in-process bare run's noise.
    worker_p50 = _pct([j["pipeline_s"] for j in levels[0]["jobs"] if j.get("pipeline_s")], 0.5)
    for figure in figures:
        c, ttf = figure["concurrency"], figure["ttf_p50_s"]
        figure["queueing_efficiency_paired"] = (
            ttf / (math.ceil(c / args.workers) * worker_p50) if ttf and worker_p50 else None
        )
    first = next((f for f in figures if f["concurrency"] == 1), None)
    overhead = None
    if first and first["ttf_p50_s"] is not None:
        overhead = {
            "p50_s": first["ttf_p50_s"] - bare_p50,
            "p90_s": first["ttf_p90_s"] - bare_p90,
            "ratio_p50": first["ttf_p50_s"] / bare_p50,
        }
    drift = bare_after["summary"]["total_s"]["p50"] / bare_p50 - 1
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "settings": {
            "model": args.weights or "krea2-turbo-tiny (random weights)",
            "resolution": f"{args.width}x{args.height}",
            "steps": args.steps,
            "guidance": args.guidance,
            "dtype": bare_before.get("dtype") or "float32 (CPU) / bfloat16 (CUDA)",
            "workers": args.workers,
            "web_workers": args.web_workers,
            "requests_per_level": args.requests,
            "prompts": args.prompts,
        },
        "cold_start": cold,
        "bare_before": bare,
        "bare_after": bare_after["summary"],
        "bare_drift": drift,
        "levels": figures,
        "overhead": overhead,
        "goals": GOALS,
        "ok": all(f["failed"] == 0 for f in figures),
    }
    result["markdown"] = markdown(result)
    (out / "result.json").write_text(json.dumps(result, indent=2, default=str))
    (out / "result.md").write_text(result["markdown"])
    _plot(result, out / "ttf.png")
    return result


def _verdict(value: float | None, goal: float) -> str:
    if value is None:
        return "no data"
    return "met" if value <= goal else "NOT met"


def markdown(result: dict[str, Any]) -> str:
    s, m = result["settings"], result["machine"]
    bare = result["bare_before"]
    lines = [
        f"End-to-end generation benchmark, {result['when']}",
        "",
        f"Machine: {m.get('gpu') or m['cpu']} ({m['cpus']} CPUs), torch {m['torch']}, "
        f"diffusers {m['diffusers']}. Model {s['model']}, {s['resolution']}, {s['steps']} steps, "
        f"{s['workers']} GPU worker(s), {s['web_workers']} web process(es), "
        f"{s['requests_per_level']} requests per level.",
        "",
        "| bare pipeline | p50 | p90 |",
        "| --- | --- | --- |",
    ]
    for key, label in (
        ("encode_s", "text encoding"),
        ("denoise_s", "denoising"),
        ("decode_s", "VAE decode"),
        ("total_s", "total"),
    ):
        lines.append(f"| {label} | {_ms(bare[key]['p50'])} | {_ms(bare[key]['p90'])} |")
    lines.append(
        f"| total, after the loads (drift {result['bare_drift'] * 100:+.1f}%) | "
        f"{_ms(result['bare_after']['total_s']['p50'])} | "
        f"{_ms(result['bare_after']['total_s']['p90'])} |"
    )
    lines += [
        "",
        "| concurrency | TTF p50 | TTF p90 | TTF p99 | client p50 | queue wait p50 | images/s "
        "| queueing efficiency | failed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in result["levels"]:
        eff = f["queueing_efficiency"]
        lines.append(
            f"| {f['concurrency']} | {_ms(f['ttf_p50_s'])} | {_ms(f['ttf_p90_s'])} | "
            f"{_ms(f['ttf_p99_s'])} | {_ms(f['client_p50_s'])} | {_ms(f['queue_wait_p50_s'])} | "
            f"{f['images_per_s']:.2f} | {'–' if eff is None else f'{eff:.3f}'} | {f['failed']} |"
        )
    overhead, goals = result["overhead"], result["goals"]
    lines.append("")
    if overhead:
        lines.append(
            f"Platform overhead at c=1 as TTF p50 - bare p50: p50 {overhead['p50_s'] * 1000:.1f} "
            f"ms, p90 {overhead['p90_s'] * 1000:.1f} ms (TTF p50 / bare p50 = "
            f"{overhead['ratio_p50']:.3f}); the bare run's own spread "
            f"(p90 - p50 = {(bare['total_s']['p90'] - bare['total_s']['p50']) * 1000:.0f} ms) "
            "is larger than the goal, so the goals are judged per job:"
        )
    first_level = next((f for f in result["levels"] if f["concurrency"] == 1), None)
    if first_level and first_level["paired_overhead_p50_s"] is not None:
        p50 = first_level["paired_overhead_p50_s"] * 1000
        p90 = first_level["paired_overhead_p90_s"] * 1000
        lines.append(
            f"platform overhead per job at c=1 (TTF - that job's own pipeline time): p50 "
            f"{p50:.1f} ms (goal <= {goals['overhead_p50_ms']:.0f} ms: "
            f"{_verdict(p50, goals['overhead_p50_ms'])}), p90 {p90:.1f} ms (goal <= "
            f"{goals['overhead_p90_ms']:.0f} ms: {_verdict(p90, goals['overhead_p90_ms'])})."
        )
    ten = next((f for f in result["levels"] if f["concurrency"] == 10), None)
    if ten:
        eff, paired = ten["queueing_efficiency"], ten["queueing_efficiency_paired"]
        lines.append(
            f"Queueing efficiency at c=10: {eff:.3f} against the bare p50; "
            + (f"{paired:.3f} against the worker's own pipeline p50 at c=1 " if paired else "")
            + f"(goal <= {goals['efficiency_c10']:.2f}: "
            f"{_verdict(max(eff, paired or 0), goals['efficiency_c10'])}, judged on the larger)."
        )
    first = next((f for f in result["levels"] if f["concurrency"] == 1), None)
    if first:
        st = first["stage_p50_s"]
        lines.append(
            "Worker stages at c=1 (p50): "
            + ", ".join(f"{k} {_ms(v)}" for k, v in st.items())
            + f"; claim to image {_ms(first['run_p50_s'])}, "
            + f"queue wait {_ms(first['queue_wait_p50_s'])}."
        )
    cold = result["cold_start"]
    lines.append(
        f"Cold start (worker process start -> first image): "
        f"{_ms(cold['worker_start_to_image_s'])}; pipeline loaded after "
        f"{_ms(cold['pipeline_loaded_s'])}."
    )
    return "\n".join(lines) + "\n"


def _plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = result["levels"]
    cs = [f["concurrency"] for f in levels]
    bare = result["bare_before"]["total_s"]["p50"]
    workers = result["settings"]["workers"]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for key, label in (
        ("ttf_p50_s", "TTF p50"),
        ("ttf_p90_s", "TTF p90"),
        ("ttf_p99_s", "TTF p99"),
    ):
        ax.plot(cs, [(f[key] or 0) * 1000 for f in levels], marker="o", label=label)
    ax.plot(
        cs,
        [math.ceil(c / workers) * bare * 1000 for c in cs],
        linestyle="--",
        color="grey",
        label="ideal: ceil(c / workers) x bare p50",
    )
    ax.set_xlabel("concurrent clients (closed loop)")
    ax.set_ylabel("time to first image (ms)")
    ax.set_title(
        f"{result['settings']['model']}, {result['settings']['resolution']}, "
        f"{result['settings']['steps']} steps"
    )
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
