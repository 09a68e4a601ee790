"""Batch-side augmentation (coursekit/data/gpu_augment.py) against the per-image CPU path.

Run on CPU tensors: the same code runs on CUDA tensors in a GPU session.
"""

import math

import pytest
import torch
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

import coursekit as ck
from coursekit.data.gpu_augment import BatchAugment, DeviceLoader, draw_params, rotate_and_zoom
from coursekit.data.transforms import IMAGENET_STATS, RandomDihedral, _finish, train_transform

N = 3000


def ks_statistic(a: torch.Tensor, b: torch.Tensor) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs."""
    a, b = a.double().sort().values, b.double().sort().values
    points = torch.cat([a, b])
    cdf_a = torch.searchsorted(a, points, right=True) / len(a)
    cdf_b = torch.searchsorted(b, points, right=True) / len(b)
    return float((cdf_a - cdf_b).abs().max())


def assert_same_distribution(ours: torch.Tensor, reference: torch.Tensor, what: str) -> None:
    # critical value at alpha = 0.001 is 1.95 * sqrt((n + m) / (n m)); seeded, so never flaky
    critical = 1.95 * math.sqrt((len(ours) + len(reference)) / (len(ours) * len(reference)))
    d = ks_statistic(ours, reference)
    assert d < critical, f"{what}: KS statistic {d:.3f} >= {critical:.3f}"


def _steps(tfm, kind):
    return [t for t in tfm.transforms if isinstance(t, kind)]


def test_ks_statistic_tells_distributions_apart():
    g = torch.Generator().manual_seed(0)
    uniform = torch.rand(N, generator=g) * 20 - 10
    assert ks_statistic(uniform, torch.rand(N, generator=g) * 20 - 10) < 0.05
    assert ks_statistic(uniform, torch.rand(N, generator=g) * 10 - 5) > 0.2  # half the range
    assert ks_statistic(uniform, torch.randn(N, generator=g) * 4) > 0.1  # bell-shaped, not uniform


def reference_params(transform, image):
    """torchvision's own random draw: ``make_params`` since torchvision 0.21, ``_get_params`` in
    the older releases coursekit supports (0.18)."""
    draw = getattr(transform, "make_params", None) or transform._get_params
    return draw([image])


@pytest.mark.parametrize(
    "aug,max_zoom", [(ck.side_on, 1.1), (ck.side_on, 1.0), (ck.top_down, 1.05)]
)
def test_rotation_zoom_and_lighting_follow_the_per_image_transforms(aug, max_zoom):
    torch.manual_seed(0)
    tfm = train_transform(64, aug, max_zoom)
    image = torch.zeros(3, 64, 64, dtype=torch.uint8)
    ours = draw_params(N, aug, max_zoom, torch.Generator().manual_seed(1))
    affine = _steps(tfm, v2.RandomAffine)
    if aug.rotate or max_zoom > 1:
        ref = [reference_params(affine[0], image) for _ in range(N)]
        assert_same_distribution(
            ours.angle, torch.tensor([p["angle"] for p in ref]), "rotation angle"
        )
        assert_same_distribution(ours.scale, torch.tensor([p["scale"] for p in ref]), "zoom")
    else:
        assert not affine
        assert (ours.angle == 0).all() and (ours.scale == 1).all()
    jitter = _steps(tfm, v2.ColorJitter)
    assert jitter, "the preset varies the lighting"
    ref = [reference_params(jitter[0], image) for _ in range(N)]
    assert_same_distribution(
        ours.brightness, torch.tensor([p["brightness_factor"] for p in ref]), "brightness"
    )
    assert_same_distribution(
        ours.contrast, torch.tensor([p["contrast_factor"] for p in ref]), "contrast"
    )
    # ColorJitter's random order: brightness (fn 0) before contrast (fn 1) half the time
    order = torch.tensor(
        [float(list(p["fn_idx"]).index(0) < list(p["fn_idx"]).index(1)) for p in ref]
    )
    assert_same_distribution(ours.brightness_first.float(), order, "lighting order")


def _orientation(img: torch.Tensor) -> tuple:
    """Which of the 8 symmetries turned the marker image into ``img``: the corners' values."""
    return tuple(
        int(v) for v in (img[0, 0, 0], img[0, 0, -1], img[0, -1, 0], img[0, -1, -1], img[0, 0, 1])
    )


@pytest.mark.parametrize("aug", [ck.side_on, ck.top_down])
def test_flips_and_turns_follow_the_per_image_transforms(aug):
    torch.manual_seed(0)
    marker = torch.arange(16, dtype=torch.uint8).view(1, 4, 4).expand(3, 4, 4).clone()
    per_image = [
        t
        for t in train_transform(4, aug).transforms
        if isinstance(t, (v2.RandomHorizontalFlip, RandomDihedral))
    ]
    assert len(per_image) == 1
    ref = torch.tensor([hash(_orientation(per_image[0](marker))) for _ in range(N)])
    params = draw_params(N, aug, generator=torch.Generator().manual_seed(2))
    x = torch.stack([marker] * N).float()
    x = torch.where(
        params.flip.view(-1, 1, 1, 1),
        torch.stack([torch.rot90(m, int(k), (-2, -1)) for m, k in zip(x, params.turns)]).flip(-1),
        torch.stack([torch.rot90(m, int(k), (-2, -1)) for m, k in zip(x, params.turns)]),
    )
    ours = torch.tensor([hash(_orientation(img)) for img in x])
    kinds = sorted(set(ref.tolist()))
    assert sorted(set(ours.tolist())) == kinds and len(kinds) == (8 if aug.dihedral else 2)
    for kind in kinds:  # each orientation as often as in the per-image path (binomial, 4 sigma)
        p = (ref == kind).float().mean()
        sigma = math.sqrt(2 * p * (1 - p) / N)
        assert abs((ours == kind).float().mean() - p) < 4 * sigma


def test_no_augmentation_normalises_exactly_as_the_per_image_path():
    g = torch.Generator().manual_seed(0)
    xb = torch.randint(0, 256, (5, 3, 24, 24), dtype=torch.uint8, generator=g)
    expected = torch.stack([v2.Compose(_finish(IMAGENET_STATS))(x) for x in xb])
    out = BatchAugment(24, ck.no_aug)(xb)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-6)


def test_given_values_each_image_matches_torchvision_functional():
    g = torch.Generator().manual_seed(3)
    # smooth pictures: a nearest-pixel tie can only pick a neighbour of almost the same value
    base = torch.linspace(0, 1, 48)
    xb = (
        (
            torch.stack([torch.outer(base, base.roll(i)) for i in range(6)])
            .unsqueeze(1)
            .expand(6, 3, 48, 48)
            * torch.tensor([255, 200, 120]).view(1, 3, 1, 1)
        )
        .round()
        .to(torch.uint8)
    )
    augment = BatchAugment(48, ck.side_on, max_zoom=1.1)
    params = draw_params(6, ck.side_on, 1.1, g)
    out = augment.apply(xb, params)
    for i, x in enumerate(xb):
        y = TF.to_dtype(x, torch.float32, scale=True)
        y = TF.affine(
            y,
            angle=float(params.angle[i]),
            translate=[0.0, 0.0],
            scale=float(params.scale[i]),
            shear=[0.0, 0.0],
            interpolation=v2.InterpolationMode.NEAREST,
        )
        if params.flip[i]:
            y = TF.horizontal_flip(y)
        b, c = float(params.brightness[i]), float(params.contrast[i])
        if params.brightness_first[i]:
            y = TF.adjust_contrast(TF.adjust_brightness(y, b), c)
        else:
            y = TF.adjust_brightness(TF.adjust_contrast(y, c), b)
        y = TF.normalize(y, list(IMAGENET_STATS[0]), list(IMAGENET_STATS[1]))
        close = ((out[i] - y).abs() < 1e-4).float().mean()
        assert close > 0.98, f"image {i}: only {close:.1%} of pixels match"
        assert (out[i] - y).abs().mean() < 0.01


def test_rotation_turns_clockwise_like_torchvision():
    x = torch.zeros(1, 1, 9, 9)
    x[0, 0, 4, 8] = 1.0  # a dot right of centre
    out = rotate_and_zoom(x, torch.tensor([90.0]), torch.tensor([1.0]))
    ref = TF.affine(x[0], angle=90.0, translate=[0.0, 0.0], scale=1.0, shear=[0.0, 0.0])
    torch.testing.assert_close(out[0], ref)
    assert out[0, 0, 8, 4] == 1.0  # now below centre: clockwise on screen


def test_image_data_delivers_augmented_float_batches_from_uint8_workers(tiny_pets):
    data = tiny_pets.with_size(32)
    data.batch_augment = True
    dl = data.train_dl
    assert isinstance(dl, DeviceLoader) and len(dl) == len(tiny_pets.train_dl)
    x, _ = dl.dataset[0]
    assert x.dtype == torch.uint8 and x.shape == (3, 32, 32)
    xb, yb = next(iter(dl))
    assert xb.dtype == torch.float32 and xb.shape == (16, 3, 32, 32) and yb.shape == (16,)
    pixels = ck.denormalize(xb)
    assert pixels.min() >= 0 and pixels.max() <= 1 and pixels.std() > 0.05
    data.batch_augment = False
    assert not isinstance(data.train_dl, DeviceLoader)
    assert not isinstance(data.valid_dl, DeviceLoader)  # validation stays per image, unaugmented


@pytest.mark.slow
def test_a_learner_trains_on_batch_side_augmentation(tiny_pets):
    data = tiny_pets.with_size(32)
    data.batch_augment = True
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("resnet18", data, pretrained=False, metrics=[ck.accuracy])
    before = [p.detach().clone() for p in learn.model.parameters() if p.requires_grad]
    learn.fit(1e-2, 1, quiet=True)
    after = [p for p in learn.model.parameters() if p.requires_grad]
    assert any(not torch.equal(a, b) for a, b in zip(after, before))
    assert len(learn.recorder.losses) == len(data.train_dl) and all(
        map(math.isfinite, learn.recorder.losses)
    )


def test_turned_pictures_get_black_corners_as_lesson_02_says():
    """Lesson 02, section 7: side_on turns by 10 degrees at most and fills the corners with black
    on both paths (fastai 0.7 reflects them); top_down turns by right angles only."""
    white = torch.ones(1, 3, 64, 64)
    turned = rotate_and_zoom(white, torch.tensor([10.0]), torch.tensor([1.0]))
    assert turned[0, :, 0, 0].eq(0).all() and turned[0, :, 32, 32].eq(1).all()
    (affine,) = _steps(train_transform(64, ck.side_on, 1.0), v2.RandomAffine)
    assert affine.degrees == [-10.0, 10.0] and affine.fill == 0  # torchvision's default: black
    per_image = TF.affine(white[0], angle=10.0, translate=[0, 0], scale=1.0, shear=[0.0])
    assert per_image[:, 0, 0].eq(0).all()
    assert not _steps(train_transform(64, ck.top_down, 1.0), v2.RandomAffine)
