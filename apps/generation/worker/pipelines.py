"""One pre-warmed Krea2Pipeline per weights per worker process.

A GPU worker is started for a set of route queues. At process start it loads
each distinct set of weights those routes use, exactly once, and runs one
small warm-up call so the first real job does not pay for lazy
initialisation. Routes whose weights have byte-identical text encoder, tokenizer
and VAE (Krea 2 Turbo and Raw do) share those modules in memory.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

SHARED_COMPONENTS = ("text_encoder", "tokenizer", "vae")


class WeightsUnavailable(Exception):
    """The weights could not be loaded in this worker; the message says why and what to do."""


@dataclass
class LoadedPipeline:
    pipe: Any
    weights_name: str
    weights_path: str
    revision: str
    content_hash: str
    device: str
    dtype: str
    loaded_at: datetime
    load_seconds: float
    component_hashes: dict[str, str]
    shared_from: str | None = None


@dataclass
class PipelineRegistry:
    """Pipelines of this process, keyed by weights name."""

    loaded: dict[str, LoadedPipeline] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    loads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, weights: Any) -> LoadedPipeline:
        with self._lock:
            entry = self.loaded.get(weights.name)
            if entry is not None and entry.content_hash == weights.content_hash:
                return entry
            if weights.name in self.failures and entry is None:
                raise WeightsUnavailable(self.failures[weights.name])
            # A route pointed at weights this worker was not started with (or
            # re-registered weights): load once now and keep them.
            logger.warning("Weights %s were not pre-loaded; loading now", weights.name)
            return self._load(weights)

    def warm(self, weights_list: list[Any]) -> None:
        with self._lock:
            for weights in weights_list:
                if weights.name in self.loaded or weights.name in self.failures:
                    continue
                try:
                    entry = self._load(weights)
                except WeightsUnavailable as exc:
                    logger.error("Cannot serve weights %s: %s", weights.name, exc)
                    continue
                _warm_up(entry)

    def _load(self, weights: Any) -> LoadedPipeline:
        try:
            entry = _load_pipeline(weights, self._shareable_modules(weights))
        except WeightsUnavailable as exc:
            self.failures[weights.name] = str(exc)
            raise
        self.failures.pop(weights.name, None)
        self.loaded[weights.name] = entry
        self.loads += 1
        return entry

    def _shareable_modules(self, weights: Any) -> tuple[dict[str, Any], str | None]:
        wanted = {c: weights.component_hashes.get(c) for c in SHARED_COMPONENTS}
        if not all(wanted.values()):
            return {}, None
        for entry in self.loaded.values():
            if all(entry.component_hashes.get(c) == h for c, h in wanted.items()):
                return {c: getattr(entry.pipe, c) for c in SHARED_COMPONENTS}, entry.weights_name
        return {}, None


def resolve_device() -> tuple[str, Any]:
    import torch

    device = settings.GENERATION_DEVICE
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype_name = settings.GENERATION_DTYPE
    if dtype_name == "auto":
        dtype_name = "bfloat16" if device.startswith("cuda") else "float32"
    return device, getattr(torch, dtype_name)


def _load_pipeline(weights: Any, shared: tuple[dict[str, Any], str | None]) -> LoadedPipeline:
    from diffusers import Krea2Pipeline

    path = Path(weights.path)
    if not path.is_dir():
        raise WeightsUnavailable(
            f"Model directory {path} for weights '{weights.name}' does not exist on worker. "
            "Fix the path in the admin (Model weights) or copy the weights there, then restart "
            "the worker."
        )
    if not (path / "model_index.json").is_file():
        raise WeightsUnavailable(
            f"{path} for weights '{weights.name}' is not a diffusers directory "
            "(no model_index.json)."
        )
    device, dtype = resolve_device()
    modules, shared_from = shared
    started = time.perf_counter()
    try:
        pipe = Krea2Pipeline.from_pretrained(str(path), dtype=dtype, **modules)
        pipe.to(device)
    except Exception as exc:  # noqa: BLE001 - any loader error becomes a readable job failure
        raise WeightsUnavailable(
            f"Could not load weights '{weights.name}' from {path}: {type(exc).__name__}: {exc}"
        ) from exc
    pipe.set_progress_bar_config(disable=True)
    elapsed = time.perf_counter() - started
    logger.info(
        "Loaded pipeline for weights %s from %s on %s in %.2fs%s",
        weights.name,
        path,
        device,
        elapsed,
        f" (sharing {', '.join(SHARED_COMPONENTS)} with {shared_from})" if shared_from else "",
    )
    return LoadedPipeline(
        pipe=pipe,
        weights_name=weights.name,
        weights_path=str(path),
        revision=weights.revision,
        content_hash=weights.content_hash,
        device=device,
        dtype=str(dtype).removeprefix("torch."),
        loaded_at=timezone.now(),
        load_seconds=elapsed,
        component_hashes=dict(weights.component_hashes),
        shared_from=shared_from,
    )


def _warm_up(entry: LoadedPipeline) -> None:
    """One tiny call so kernels, allocators and lazy modules are ready before the first job."""
    import torch

    started = time.perf_counter()
    entry.pipe(
        prompt="warm-up",
        height=256,
        width=256,
        num_inference_steps=1,
        guidance_scale=0.0,
        generator=torch.Generator(device="cpu").manual_seed(0),
        max_sequence_length=32,
    )
    logger.info("Warmed up %s in %.2fs", entry.weights_name, time.perf_counter() - started)


registry = PipelineRegistry()
