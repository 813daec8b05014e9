"""Stage timing of a real (tiny, random-weight) Krea2Pipeline call. No database."""

from __future__ import annotations

import pytest
import torch
from diffusers import Krea2Pipeline

from apps.generation.tiny_model import TURBO_DIR
from apps.generation.worker.stage_timing import measure_stages


@pytest.fixture(scope="module")
def pipe(tiny_model_dir):
    loaded = Krea2Pipeline.from_pretrained(str(tiny_model_dir / TURBO_DIR))
    loaded.set_progress_bar_config(disable=True)
    return loaded


def _generate(pipe, **kwargs):
    params = {
        "prompt": "a red shoe",
        "height": 64,
        "width": 64,
        "num_inference_steps": 2,
        "guidance_scale": 0.0,
        "max_sequence_length": 32,
        "generator": torch.Generator(device="cpu").manual_seed(0),
    } | kwargs
    return pipe(**params)


def _assert_unwrapped(pipe):
    assert "encode_prompt" not in vars(pipe)
    assert "decode" not in vars(pipe.vae)
    assert "postprocess" not in vars(pipe.image_processor)


def test_stages_are_positive_and_add_up_to_the_total(pipe):
    with measure_stages(pipe) as times:
        result = _generate(pipe)

    assert result.images[0].size == (64, 64)
    assert times.encode_s > 0
    assert times.denoise_s > 0
    assert times.decode_s > 0
    assert 0 < times.postprocess_s < times.decode_s
    assert times.encode_s + times.denoise_s + times.decode_s == pytest.approx(times.total_s)
    assert (times.encode_calls, times.decode_calls) == (1, 1)
    assert set(times.as_dict()) >= {"encode_s", "denoise_s", "decode_s", "total_s"}


def test_guidance_encodes_the_negative_prompt_too(pipe):
    with measure_stages(pipe) as times:
        _generate(pipe, guidance_scale=1.0)

    assert times.encode_calls == 2


def test_pipeline_methods_are_restored_afterwards(pipe):
    class_encode = type(pipe).encode_prompt
    with measure_stages(pipe):
        assert "encode_prompt" in vars(pipe)
        _generate(pipe)

    _assert_unwrapped(pipe)
    assert pipe.encode_prompt.__func__ is class_encode


def test_pipeline_methods_are_restored_when_the_pipeline_raises(pipe):
    def fail(*args, **kwargs):
        raise RuntimeError("stop at the first step")

    with pytest.raises(RuntimeError, match="first step"), measure_stages(pipe) as times:
        _generate(pipe, callback_on_step_end=fail)

    _assert_unwrapped(pipe)
    assert times.encode_calls == 1
    assert times.decode_calls == 0
    assert times.total_s >= times.encode_s > 0


def test_an_existing_instance_override_is_put_back(pipe):
    def override(*args, **kwargs):
        return type(pipe).encode_prompt(pipe, *args, **kwargs)

    pipe.encode_prompt = override
    try:
        with measure_stages(pipe) as times:
            _generate(pipe)
        assert vars(pipe)["encode_prompt"] is override
        assert times.encode_calls == 1
    finally:
        del pipe.encode_prompt
