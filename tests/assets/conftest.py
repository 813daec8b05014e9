"""Provenance fixtures: one development PKI per session, synthetic images."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from apps.assets.provenance import c2pa, certs


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory) -> certs.DevPki:
    return certs.write_dev_pki(tmp_path_factory.mktemp("c2pa-pki"))


@pytest.fixture(scope="session")
def anchors(dev_pki) -> str:
    return dev_pki.trust_anchors.read_text()


@pytest.fixture(scope="session")
def signer(dev_pki, anchors) -> c2pa.SignerConfig:
    return c2pa.SignerConfig(
        chain_pem=dev_pki.cert_chain.read_text(),
        key_pem=dev_pki.key.read_text(),
        alg=certs.SIGNING_ALG,
        trust_anchors_pem=anchors,
    )


def natural_image(seed: int, size: int = 1024) -> Image.Image:
    """Something with a photo's spectrum: layered smooth noise, a gradient, soft shapes.

    Watermarks behave very differently on flat colour than on texture, so the
    tests need both; this is the textured kind, reproducible from the seed.
    """
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size, 3), np.float32)
    for octave in range(1, 8):
        cells = 2**octave
        noise = rng.normal(0, 1, (cells, cells, 3)).astype(np.float32)
        layer = np.stack(
            [
                np.asarray(Image.fromarray(noise[..., c], "F").resize((size, size), Image.BICUBIC))
                for c in range(3)
            ],
            axis=-1,
        )
        img += layer * (60 / octave)
    yy, xx = np.mgrid[0:size, 0:size] / size
    img += np.stack([xx * 80, yy * 60, (1 - xx) * 70], axis=-1)
    for _ in range(12):
        cy, cx = rng.integers(0, size, 2)
        radius = int(rng.integers(size // 50, size // 5))
        disc = (yy * size - cy) ** 2 + (xx * size - cx) ** 2 < radius**2
        img[disc] = 0.5 * img[disc] + 0.5 * rng.uniform(-60, 60, 3)
    img += rng.normal(0, 3, img.shape)
    img = img - img.mean() + 128
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


@pytest.fixture(scope="session")
def make_image() -> Callable[..., Image.Image]:
    return natural_image
