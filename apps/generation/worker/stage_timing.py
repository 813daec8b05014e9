"""Wall time of one Krea2Pipeline call, split into text encoding, denoising and decoding.

Krea2Pipeline.__call__ reaches its text encoder only through
``self.encode_prompt`` (once, or twice with classifier-free guidance: the
negative prompt is encoded by a second call), and turns latents into images
through ``self.vae.decode`` followed by ``self.image_processor.postprocess``
(skipped for ``output_type="latent"``). Wrapping those as instance attributes
for the duration of a call times each stage without patching diffusers or the
pipeline class, so the worker and the benchmarks time jobs the same way. No
Django here: the GPU benchmark imports this on machines without it.

"Denoise" is what is left: ``total - encode - decode``. Besides the
transformer steps it therefore holds input checks, latent and position-id
preparation, the scheduler's timesteps and steps, progress callbacks and the
latent unpacking before the VAE; on a GPU all of those are small next to the
transformer, but they are not zero.

Not thread-safe: pipelines that share a VAE (the worker shares one between
Turbo and Raw) must not be timed concurrently. Workers run one job at a time.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class StageTimes:
    """Seconds per stage of one measured block; the stages add up to ``total_s``."""

    encode_s: float = 0.0
    decode_s: float = 0.0
    postprocess_s: float = 0.0
    """The image processor's share of ``decode_s`` (tensor to PIL/NumPy on the host)."""
    total_s: float = 0.0
    encode_calls: int = 0
    decode_calls: int = 0

    @property
    def denoise_s(self) -> float:
        return self.total_s - self.encode_s - self.decode_s

    def as_dict(self) -> dict[str, float | int]:
        return {
            "encode_s": self.encode_s,
            "denoise_s": self.denoise_s,
            "decode_s": self.decode_s,
            "postprocess_s": self.postprocess_s,
            "total_s": self.total_s,
            "encode_calls": self.encode_calls,
            "decode_calls": self.decode_calls,
        }


def _cuda_synchronizer(pipe: Any, sync: bool | None) -> Callable[[], None]:
    """Without a synchronize, CUDA work queued by one stage would be billed to the next."""
    import torch

    if sync is None:
        # _execution_device follows offload hooks; .device is the plain fallback.
        device = getattr(pipe, "_execution_device", None) or getattr(pipe, "device", None)
        sync = device is not None and torch.device(device).type == "cuda"
    if not sync:
        return lambda: None
    return torch.cuda.synchronize


@contextmanager
def _wrapped(
    owner: Any, name: str, record: Callable[[float], None], sync: Callable[[], None]
) -> Iterator[None]:
    """Replace ``owner.name`` by a timed wrapper; put back exactly what was there on exit."""
    had_own = name in vars(owner)
    previous = vars(owner).get(name)
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def timed(*args: Any, **kwargs: Any) -> Any:
        sync()
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            sync()
            record(time.perf_counter() - started)

    setattr(owner, name, timed)
    try:
        yield
    finally:
        if had_own:
            setattr(owner, name, previous)
        else:
            delattr(owner, name)


@contextmanager
def measure_stages(pipe: Any, *, sync: bool | None = None) -> Iterator[StageTimes]:
    """Time the pipeline call(s) made inside the block, stage by stage.

    ``sync`` forces (True) or skips (False) ``torch.cuda.synchronize`` around
    each stage; by default it is on when the pipeline executes on CUDA.
    """
    times = StageTimes()
    synchronize = _cuda_synchronizer(pipe, sync)

    def add_encode(seconds: float) -> None:
        times.encode_s += seconds
        times.encode_calls += 1

    def add_decode(seconds: float) -> None:
        times.decode_s += seconds
        times.decode_calls += 1

    def add_postprocess(seconds: float) -> None:
        times.decode_s += seconds
        times.postprocess_s += seconds

    with ExitStack() as stack:
        stack.enter_context(_wrapped(pipe, "encode_prompt", add_encode, synchronize))
        stack.enter_context(_wrapped(pipe.vae, "decode", add_decode, synchronize))
        processor = getattr(pipe, "image_processor", None)
        if processor is not None:
            stack.enter_context(_wrapped(processor, "postprocess", add_postprocess, synchronize))
        synchronize()
        started = time.perf_counter()
        try:
            yield times
        finally:
            synchronize()
            times.total_s = time.perf_counter() - started
