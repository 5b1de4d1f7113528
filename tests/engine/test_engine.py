"""Engine mechanics with random weights on a 64 px pair (fast; says nothing about quality)."""

import re

import numpy as np
import pytest

from nst import Finished, NSTError, Settings, Step, stylise

# TV has its own unit test; here its L1 gradient would swamp the random network's small style term
# a random network's terms are small: without the palette term's weight off, the palette would carry every run
FAST = Settings(size=64, steps=30, scales=1, weights="random", optimizer="adam", learning_rate=0.05, tv_weight=0.0,
                palette_weight=0.0)


def _run(pair, settings=FAST, **kwargs):
    events = list(stylise(*pair, settings, **kwargs))
    return [e for e in events if isinstance(e, Step)], events[-1]


def test_events_stream_every_step_then_finish(tiny_pair):
    steps, finished = _run(tiny_pair, FAST.replace(preview_every=10, outputs=3))
    assert [s.step for s in steps] == list(range(1, 31))
    assert all(s.steps == 30 for s in steps)
    assert all(b.elapsed >= a.elapsed for a, b in zip(steps, steps[1:]))
    assert [s.step for s in steps if s.preview is not None] == [10, 20, 30]
    assert isinstance(finished, Finished) and finished.reason == "completed" and finished.steps_done == 30
    assert [step for step, _ in finished.snapshots] == [10, 20, 30]
    np.testing.assert_array_equal(finished.snapshots[-1][1], finished.image)
    assert finished.image.shape == (64, 64, 3) and 0 <= finished.image.min() and finished.image.max() <= 1


def test_loss_falls(tiny_pair):
    _, finished = _run(tiny_pair, FAST.replace(init="noise"))
    first, last = finished.history[0], finished.history[-1]
    assert last.total < 0.7 * first.total  # a random network's style term barely moves: content carries it
    assert last["content"] < 0.5 * first["content"] and last["style"] < first["style"]


def test_cancel_stops_between_steps_and_keeps_the_image(tiny_pair):
    seen = []
    events = stylise(*tiny_pair, FAST, should_stop=lambda: len(seen) >= 3)
    for event in events:
        if isinstance(event, Step):
            seen.append(event)
    assert len(seen) == 3
    assert event.reason == "cancelled" and event.steps_done == 3
    assert not np.allclose(event.image, tiny_pair[0], atol=1e-3)  # three steps of progress are kept


def _kept_step(message: str) -> int:
    return 0 if "kept the starting image" in message else int(re.search(r"kept the image from step (\d+)", message)[1])


@pytest.mark.parametrize(
    "changes, cause",
    [
        ({"optimizer": "sgd", "learning_rate": 1e37}, "stopped being finite"),  # NaN or inf
        ({"optimizer": "adam", "learning_rate": 1e6}, "the loss stayed above"),  # saturated noise, finite
        ({"optimizer": "sgd", "learning_rate": 10.0}, "the loss stayed above"),
    ],
)
@pytest.mark.parametrize("init", ["content", "noise"])
def test_an_absurd_learning_rate_is_caught_and_the_best_image_kept(tiny_pair, changes, cause, init):
    settings = FAST.replace(tv_weight=30.0, preview_every=1, init=init, **changes)
    steps, finished = _run(tiny_pair, settings)
    assert finished.reason == "diverged" and cause in finished.message
    assert f"Lower the learning rate: {settings.lr:g} is above the default for {settings.optimizer}" in finished.message
    assert finished.steps_done == len(steps) < 10
    kept = _kept_step(finished.message)
    # the kept image is the one with the lowest loss, not the noise the run ended in
    expected = steps[kept - 1].preview if kept else None
    if expected is not None:
        np.testing.assert_array_equal(finished.image, expected)
    losses = [s.losses.total for s in steps]
    assert losses[kept] == min(losses)
    assert np.isfinite(finished.image).all() and np.mean((finished.image == 0) | (finished.image == 1)) < 0.5


def test_weights_that_overflow_say_so_not_the_learning_rate(tiny_pair):
    _, finished = _run(tiny_pair, FAST.replace(style_weight=1e38, content_weight=1e38, init="content"))
    assert finished.reason == "diverged" and finished.steps_done == 0
    assert "lower the content, style or TV weight" in finished.message and "learning rate" not in finished.message
    np.testing.assert_allclose(finished.image, tiny_pair[0], atol=1 / 255)  # the starting image, unharmed


@pytest.mark.slow
def test_the_default_settings_never_trip_the_divergence_guard(tiny_pair):
    for changes in ({}, {"init": "noise"}, {"init": "style"}, {"optimizer": "lbfgs", "learning_rate": None}):
        _, finished = _run(tiny_pair, FAST.replace(tv_weight=30.0, steps=40, **changes))
        assert finished.reason == "completed", (changes, finished.message)


def test_a_narrow_style_image_survives_the_coarse_sizes(tiny_pair):
    content = np.kron(tiny_pair[0], np.ones((2, 2, 1)))  # 128 px
    x = np.linspace(0, 20, 800)
    narrow = np.stack([np.tile((np.sin(x) > 0)[None], (100, 1))] * 3, axis=-1).astype(np.float32)  # 800 x 100
    settings = FAST.replace(size=128, steps=12, scales=3)  # sizes 32, 64, 128: the style would be 32 x 4 px
    steps, finished = _run((content, narrow), settings)
    assert finished.reason == "completed", finished.message
    assert all(np.isfinite(s.losses["style"]) for s in steps) and {s.shape for s in steps} == {(32, 32), (64, 64), (128, 128)}


def test_lbfgs_uses_its_curvature_memory():
    """On an ill-conditioned quadratic (curvatures 1 to 1000), L-BFGS's quasi-Newton directions beat
    steepest descent (the same class with its two-loop recursion bypassed) by an order of magnitude."""
    from keras import ops

    from nst.optimizers import LBFGS

    scales = ops.convert_to_tensor(np.geomspace(1.0, 1000.0, 48).reshape(1, 4, 4, 3), "float32")
    target = ops.convert_to_tensor(np.random.default_rng(0).uniform(0.2, 0.8, (1, 4, 4, 3)), "float32")

    def quadratic(image):
        loss = ops.sum(scales * ops.square(image - target))
        return loss, {"quadratic": loss}

    def final_loss(steepest: bool) -> float:
        optimiser = LBFGS(quadratic, np.full((4, 4, 3), 0.5, np.float32), max_step=0.5)
        if steepest:
            optimiser._direction = lambda gradient: -gradient
        for _ in range(40):
            optimiser()
        return float(quadratic(ops.convert_to_tensor(optimiser.image()[None]))[0])

    start = float(quadratic(ops.full((1, 4, 4, 3), 0.5))[0])
    lbfgs, steepest = final_loss(False), final_loss(True)
    assert lbfgs < 2e-3 * start and lbfgs < 0.25 * steepest


@pytest.mark.parametrize("init", ["style", "noise"])
def test_initialisation_is_seeded(tiny_pair, init):
    settings = FAST.replace(steps=1, init=init, learning_rate=1e-6, seed=3)
    a, b = _run(tiny_pair, settings)[1].image, _run(tiny_pair, settings)[1].image
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.abs(a - tiny_pair[0]).mean() > 0.1  # not the content


def test_sgd_optimiser_also_lowers_the_loss(tiny_pair):
    _, finished = _run(tiny_pair, FAST.replace(optimizer="sgd", learning_rate=None))
    assert finished.history[-1].total < finished.history[0].total


def test_several_styles_blend(tiny_pair):
    content, style = tiny_pair
    _, finished = _run((content, [style, style[::-1]]), FAST.replace(steps=3, style_blend=(1.0, 3.0)))
    assert finished.reason == "completed"
    with pytest.raises(NSTError, match="style_blend has 1 weights for 2"):
        _run((content, [style, style]), FAST.replace(style_blend=(1.0,)))


def test_unknown_layer_is_a_clear_error(tiny_pair):
    with pytest.raises(NSTError, match="Unknown layer.*block9_conv1.*Available"):
        _run(tiny_pair, FAST.replace(style_layers=("block9_conv1",)))


def test_coarse_to_fine_ends_at_full_size_with_growing_scales(tiny_pair):
    content, style = tiny_pair
    big = np.kron(content, np.ones((2, 2, 1)))  # 128 px content
    settings = FAST.replace(size=128, steps=14, scales=2, preview_every=1, outputs=2)
    steps, finished = _run((big, style), settings)
    assert [(step, image.shape) for step, image in finished.snapshots] == [(7, (128, 128, 3)), (14, (128, 128, 3))]
    shapes = [s.shape for s in steps]
    assert shapes[0] == (64, 64) and shapes[-1] == (128, 128) and shapes == sorted(shapes)
    assert shapes.count((64, 64)) == 9 and shapes.count((128, 128)) == 5  # finer scale: half the steps
    assert finished.image.shape == (128, 128, 3) and [s.step for s in steps] == list(range(1, 15))
    work = [s.work for s in steps]
    assert work == sorted(work) and work[-1] == pytest.approx(1.0)
    # a step costs its pixels plus a fixed part (nst/schedules.py): the 9 coarse steps' share of the work
    from nst.schedules import STEP_OVERHEAD_PIXELS as fixed

    assert work[8] == pytest.approx(9 * (64**2 + fixed) / (9 * (64**2 + fixed) + 5 * (128**2 + fixed)))


def test_lbfgs_lowers_the_loss_faster_than_adam_per_step(tiny_pair):
    adam = _run(tiny_pair, FAST.replace(init="noise", steps=15, learning_rate=0.02))[1]
    lbfgs = _run(tiny_pair, FAST.replace(init="noise", steps=15, optimizer="lbfgs", learning_rate=None))[1]
    assert lbfgs.reason == "completed" and lbfgs.history[-1].total < 0.5 * lbfgs.history[0].total
    assert lbfgs.history[-1].total < adam.history[-1].total


def test_coarse_scales_keep_the_tv_balance(tiny_pair):
    from nst import load_backbone
    from nst.backbone import FeatureExtractor
    from nst.losses import size_factors
    from nst.objective import Objective

    content, style = tiny_pair
    extractor = FeatureExtractor(load_backbone("random"), FAST.content_layers, FAST.style_layers)
    settings = FAST.replace(tv_weight=30.0)
    full = Objective(extractor, content, [style], settings)
    half = Objective(extractor, content[::2, ::2], [style], settings, size_factors("tutorial", (32, 32), (64, 64)))
    assert half.terms["tv"][1] == 2 * full.terms["tv"][1] == 60.0
    # the normalised objective: TV per pixel, the tutorial's at 512 px whatever the aspect ratio
    assert size_factors("normalised", (384, 512), (384, 512)) == {"tv": 1.0}
    assert size_factors("normalised", (128, 256), (256, 512)) == {"tv": 4.0}
    assert size_factors("normalised", (1024, 700), (1024, 700)) == {"tv": 0.25}


def test_lbfgs_adam_runs_lbfgs_on_every_size_then_adam_finishes_the_full_size():
    from nst.schedules import phase_plan

    plan = phase_plan(Settings(size=512, steps=180, scales=3, optimizer="lbfgs-adam"), (340, 512))
    sizes = [(85, 128), (170, 256), (340, 512)]
    # a third of the steps on the coarse sizes, then 30% L-BFGS and 70% Adam at full size
    assert plan == [(sizes[0], "lbfgs", 30), (sizes[1], "lbfgs", 30), (sizes[2], "lbfgs", 36), (sizes[2], "adam", 84)]
    assert phase_plan(Settings(size=256, steps=120, scales=2, optimizer="lbfgs"), (170, 256)) == [
        (sizes[0], "lbfgs", 80), (sizes[1], "lbfgs", 40)]
    one_size = phase_plan(Settings(size=256, steps=100, scales=1, optimizer="lbfgs-adam"), (170, 256))
    assert one_size == [(sizes[1], "lbfgs", 30), (sizes[1], "adam", 70)]
    # long runs: L-BFGS plateaus, so the coarse sizes and the full-size L-BFGS are capped, Adam gets the rest
    long = phase_plan(Settings(size=256, steps=600, scales=2, optimizer="lbfgs-adam"), (170, 256))
    assert long == [(sizes[0], "lbfgs", 60), (sizes[1], "lbfgs", 40), (sizes[1], "adam", 500)]


def test_automatic_scales_start_every_size_near_128_px():
    from nst.schedules import scale_sizes

    # scales=0 from the photo: the coarsest size is the same whatever the output size, so the painting
    # lays out the picture at the same scale (BENCHMARKS.md: the same look at 128, 256 and 512 px)
    for size, count in ((128, 1), (180, 1), (256, 2), (384, 3), (512, 3), (1024, 4), (4096, 5)):
        settings = Settings(size=size, init="palette")
        shape = (round(size * 0.75), size)
        sizes = scale_sizes(settings, shape)
        assert settings.scale_count == count and len(sizes) == count and sizes[-1] == shape
        if size <= 2048:
            assert 128 / 2**0.5 <= max(sizes[0]) <= 128 * 2**0.5, (size, sizes)
    # from the instant picture (the default) the stroke size sets the working size: fine strokes at the
    # output's size, medium at half, large at a quarter (never under MIN_SIDE), then the output's size
    for init in ("instant", "instant-palette"):
        for size in (256, 1024):
            sizes = {strokes: scale_sizes(Settings(size=size, init=init, strokes=strokes), (size, size))
                     for strokes in ("fine", "medium", "large")}
            assert sizes == {"fine": [(size, size)], "medium": [(size // 2, size // 2), (size, size)],
                             "large": [(size // 4, size // 4), (size, size)]}
    assert scale_sizes(Settings(size=64, strokes="large"), (64, 64)) == [(32, 32), (64, 64)]
    assert scale_sizes(Settings(size=48, strokes="medium"), (48, 48)) == [(48, 48)]
    # a number given is kept
    assert len(scale_sizes(Settings(size=512, scales=2), (384, 512))) == 2
    assert len(scale_sizes(Settings(size=128, scales=2), (96, 128))) == 2


def test_a_painterly_run_spends_most_steps_at_the_working_size_and_finishes_at_full_size():
    from nst.schedules import phase_plan, step_cost

    work, full = (170, 256), (340, 512)
    plan = phase_plan(Settings(size=512), full)  # the default: 40 steps, 12% of them at full size
    assert plan == [(work, "lbfgs", 11), (work, "adam", 24), (full, "lbfgs", 5)]
    cost = sum(step_cost(shape) * n for shape, _, n in plan) / step_cost(full)
    assert cost < 0.35 * 50  # in full-size step equivalents: about 15, against the previous default's 50
    assert phase_plan(Settings(size=512, steps=10, optimizer="adam"), full) == [(work, "adam", 7), (full, "adam", 3)]
    assert phase_plan(Settings(size=512, steps=2), full) == [(full, "lbfgs", 2)]  # too few to work coarse


def test_lbfgs_adam_keeps_lowering_the_loss_through_the_hand_over(tiny_pair):
    settings = FAST.replace(init="noise", steps=20, optimizer="lbfgs-adam", learning_rate=None, preview_every=1)
    steps, finished = _run(tiny_pair, settings)
    assert finished.reason == "completed" and finished.steps_done == 20
    history = [s.losses.total for s in steps]
    from nst.schedules import FINISH_SHARE

    hand_over = 20 - round(20 * FINISH_SHARE)
    assert history[-1] < history[hand_over] < 0.7 * history[0]  # the Adam phase carries on from L-BFGS


@pytest.mark.slow
def test_the_adam_finish_does_not_throw_away_what_lbfgs_found(assets):
    """At the L-BFGS -> Adam switch within one size the loss keeps falling: Adam's first, nearly
    sign-sized steps at the full rate made the style loss jump 3x here (20x at 256 px) before it
    fell again; its rate now warms up (nst/schedules.py)."""
    from nst.schedules import phase_plan

    settings = Settings(size=128, steps=60, weights="offline", precision="float32", strokes="fine")
    (*_, (_, last, adam_steps)) = phase_plan(settings, (128, 128))
    assert last == "adam"
    steps, finished = _run((str(assets / "content/cat.jpg"), str(assets / "styles/starry_night.jpg")), settings)
    totals = [s.losses.total for s in steps]
    hand_over = len(totals) - adam_steps
    assert max(totals[hand_over : hand_over + 15]) <= totals[hand_over - 1]
    assert totals[-1] < 0.7 * totals[hand_over - 1]


def test_the_full_size_finish_starts_with_the_photos_detail():
    """Enlarging the working-size picture adds back the photo's own fine detail (eyes, thin towers),
    and nothing where the photo is flat (no crosshatch in a sky)."""
    from nst.engine import with_photo_detail

    y, x = np.mgrid[0:128, 0:128]
    photo = np.repeat((((y // 4) + (x // 4)) % 2).astype(np.float32)[..., None], 3, axis=-1)  # 4 px checks
    photo[:, :64] = 0.5  # a flat left half
    painted = np.full((64, 64, 3), 0.4, np.float32)  # a working-size picture without the fine checks
    finish = with_photo_detail(painted, (128, 128), photo)
    right = finish[:, 64:, 0] - finish[:, 64:, 0].mean()
    assert np.corrcoef(right.ravel(), photo[:, 64:, 0].ravel())[0, 1] > 0.7  # the checks are back
    assert np.abs(finish[8:-8, 8:56] - 0.4).max() < 0.02  # the flat half stays as painted


def test_the_network_sees_no_edge_at_the_image_border():
    """The image is mirrored past its sides before the network: on a flat image every location of the
    image has the same activations, border or not (zero padding made the border an edge, and runs
    painted a light strip along it); masks are mirrored the same way to line up with them."""
    from nst import load_backbone
    from nst.backbone import MIRROR, FeatureExtractor

    flat = np.full((1, 32, 40, 3), 0.5, np.float32)
    backbone = load_backbone("random")
    mirrored = FeatureExtractor(backbone, (), ("block1_conv1",))
    plain = FeatureExtractor(backbone, (), ("block1_conv1",), mirror=0)
    inside = np.asarray(mirrored(flat).style[0])[0, MIRROR:-MIRROR, MIRROR:-MIRROR]
    assert inside.shape[:2] == (32, 40)
    assert np.abs(inside - inside[16, 20]).max() < 1e-4
    bare = np.asarray(plain(flat).style[0])[0]
    assert np.abs(bare[0] - bare[16]).max() > 1e-2  # the unmirrored border reads as an edge
    mask = np.zeros((32, 40), np.float32)
    mask[:, :5] = 1.0
    extended = mirrored.margin(mask)
    assert extended.shape == (32 + 2 * MIRROR, 40 + 2 * MIRROR)
    assert extended[:, :MIRROR + 5].min() == 1.0 and extended[:, MIRROR + 5:].max() == 0.0
