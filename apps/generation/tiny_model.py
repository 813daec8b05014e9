"""A tiny random-weight Krea 2 pipeline, saved exactly like the real diffusers directories.

Nothing is downloaded: the tokenizer is a byte-level BPE trained here, and every
module is built from a small config of the real architecture. Workers load
the result with the same `Krea2Pipeline.from_pretrained(path)` they use for
Krea-2-Turbo and Krea-2-Raw, so the whole path except the weights is real.
Its images are noise.
"""

from __future__ import annotations

from pathlib import Path

TURBO_DIR = "krea2-turbo-tiny"
RAW_DIR = "krea2-raw-tiny"
_TEXT_HIDDEN = 32
_CORPUS = [
    "a studio photo of a red running shoe on a white table, soft shadows",
    "portrait of a smiling person in warm window light, shallow depth of field",
    "flat illustration of a fox in the snow, pastel colours",
    "infographic with bold headings, icons and a bar chart",
    "product shot of a glass perfume bottle with reflections",
    "Describe the image by detailing the color, shape, size, texture, quantity, text",
]


def _tokenizer():  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",  # noqa: S106 - a token, not a password
        pad_token="<|endoftext|>",  # noqa: S106
        model_max_length=1024,
    )


def _text_encoder(vocab_size: int):  # type: ignore[no-untyped-def]
    from transformers import Qwen3VLConfig, Qwen3VLModel

    config = Qwen3VLConfig(
        text_config={
            "hidden_size": _TEXT_HIDDEN,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 16,
            "vocab_size": vocab_size,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [2, 3, 3],
            },
        },
        vision_config={
            "depth": 1,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": _TEXT_HIDDEN,
            "deepstack_visual_indexes": [0],
            "num_position_embeddings": 64,
        },
    )
    return Qwen3VLModel(config).eval()


def _transformer():  # type: ignore[no-untyped-def]
    from diffusers import Krea2Transformer2DModel

    return Krea2Transformer2DModel(
        in_channels=64,  # 16 latent channels x 2x2 patches
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=2,
        num_key_value_heads=1,
        intermediate_size=64,
        timestep_embed_dim=32,
        text_hidden_dim=_TEXT_HIDDEN,
        num_text_layers=2,
        text_num_attention_heads=2,
        text_num_key_value_heads=2,
        text_intermediate_size=64,
        num_layerwise_text_blocks=1,
        num_refiner_text_blocks=1,
        axes_dims_rope=(4, 6, 6),
    )


def build_tiny_krea2(directory: Path, *, seed: int = 0) -> dict[str, Path]:
    """Write a Turbo-like (distilled) and a Raw-like pipeline.

    Both share one text encoder, tokenizer and VAE, as the real checkpoints do,
    so workers exercise the sharing path.
    """
    import torch
    from diffusers import AutoencoderKLQwenImage, FlowMatchEulerDiscreteScheduler, Krea2Pipeline

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    text_encoder = _text_encoder(len(tokenizer))
    vae = AutoencoderKLQwenImage(
        base_dim=8,
        z_dim=16,
        dim_mult=[1, 2, 2, 2],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=True,
        base_shift=0.5,
        max_shift=1.15,
        base_image_seq_len=256,
        max_image_seq_len=6400,
    )
    paths = {}
    for name, distilled in ((TURBO_DIR, True), (RAW_DIR, False)):
        pipe = Krea2Pipeline(
            scheduler=scheduler,
            vae=vae,
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            transformer=_transformer(),
            text_encoder_select_layers=(1, 2),
            is_distilled=distilled,
        )
        target = directory / name
        pipe.save_pretrained(target)  # type: ignore[attr-defined]
        paths[name] = target
    return paths
