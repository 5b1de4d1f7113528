import h5py
import keras
import numpy as np
import pytest

from nst import NSTError, load_backbone
from nst import backbone as bb


def test_offline_backbone_carries_the_bundled_vgg16_convolutions():
    backbone = load_backbone("offline")
    assert backbone.source == "offline" and backbone.warning is None
    with h5py.File(bb.hed_weights_path(), "r") as f:
        kernel = np.asarray(f["block3/layers/conv2d_2/vars/0"])
    np.testing.assert_array_equal(backbone.network.get_layer("block3_conv3").get_weights()[0], kernel)
    assert "block5_conv2" in backbone.layer_names() and "block5_conv4" not in backbone.layer_names()


@pytest.fixture(autouse=True)
def no_remembered_failure():
    bb._failed_download.clear()
    yield
    bb._failed_download.clear()


def test_a_failed_download_is_not_retried_at_every_run(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    calls = []

    def offline(*args, **kwargs):
        calls.append(args)
        raise OSError("network is unreachable")

    monkeypatch.setattr(bb.urllib.request, "urlopen", offline)
    first, second = load_backbone("imagenet"), load_backbone("imagenet")
    assert first.source == second.source == "offline" and "network is unreachable" in second.warning
    assert len(calls) == 1  # a server without network does not wait for a download before every run


def test_imagenet_falls_back_to_offline_with_a_visible_warning(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # nothing cached there
    monkeypatch.setattr(bb, "IMAGENET_URL", (tmp_path / "missing.h5").as_uri())
    monkeypatch.setattr(bb.ensure_imagenet_weights, "__defaults__", (None, bb.IMAGENET_URL))
    backbone = load_backbone("imagenet")
    assert backbone.source == "offline"
    assert "could not be downloaded" in backbone.warning and "offline" in backbone.warning
    offline = load_backbone("offline")  # the fallback paints with the offline backbone's own calibration
    assert (backbone.calibration, backbone.tv_smoothing) == (offline.calibration, offline.tv_smoothing)
    assert offline.calibration["style"] > 1 and offline.tv_smoothing > 0
    vgg19 = load_backbone("random")  # VGG19 keeps the tutorial's loss: no calibration, the L1 TV
    assert (vgg19.calibration, vgg19.tv_smoothing) == ({}, 0.0)


def test_download_reports_progress_and_rejects_a_corrupt_file(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    fake = tmp_path / "fake.h5"
    fake.write_bytes(b"x" * 3_000_000)
    progress = []
    with pytest.raises(NSTError, match="checksum"):
        bb.ensure_imagenet_weights(lambda done, total: progress.append(done), url=fake.as_uri())
    assert progress[-1] == 3_000_000 and progress == sorted(progress) and len(progress) == 3
    assert not list((tmp_path / "keras" / "models").iterdir())  # no partial file left behind


def test_cached_imagenet_weights_are_used_without_download(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    target = bb.imagenet_weights_path()
    target.parent.mkdir(parents=True)
    target.write_bytes(b"cached")
    assert bb.ensure_imagenet_weights(url="http://unused.invalid/") == target


def test_local_weights_file(tmp_path):
    keras.utils.set_random_seed(5)
    source = keras.applications.VGG19(include_top=False, weights=None)
    path = tmp_path / "my_vgg19.weights.h5"
    source.save_weights(path)
    backbone = load_backbone("file", str(path))
    np.testing.assert_array_equal(
        backbone.network.get_layer("block1_conv1").get_weights()[0], source.get_layer("block1_conv1").get_weights()[0]
    )
    bad = tmp_path / "bad.h5"
    bad.write_text("not weights")
    with pytest.raises(NSTError, match="Could not load VGG19 weights from 'bad.h5'"):
        load_backbone("file", str(bad))
    with pytest.raises(NSTError, match="does not exist"):
        load_backbone("file", str(tmp_path / "nope.h5"))
