"""The Streamlit page, driven by streamlit.testing (no browser)."""


import pytest
from streamlit.testing.v1 import AppTest

from nst import Settings
from nst.line.job import wait_for
from tests.harness.paths import APP


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _stylise_button(at: AppTest):
    return next(b for b in at.button if b.label == "Stylise")


def _run_to_completion(at: AppTest) -> None:
    _stylise_button(at).click().run()
    assert not at.exception
    job = at.session_state["job"]
    assert job is not None, [e.value for e in at.error]
    wait_for(job, timeout=300)
    at.run()  # the live stage sees the finished job and moves it to the gallery
    assert not at.exception


def test_page_renders_with_samples_selected(app):
    assert any("NST Studio" in m.value for m in app.markdown)
    assert app.selectbox(key="content_sample").value == "cat"
    assert app.selectbox(key="styles_sample").value == "swirls"
    assert not _stylise_button(app).disabled
    assert not app.error
    assert len(app.image) >= 2  # both inputs are shown


def test_presets_change_the_weight_sliders(app):
    balanced = (app.select_slider(key="style_weight").value, app.select_slider(key="tv_weight").value)
    assert balanced == (Settings().style_weight, Settings().tv_weight)  # the engine's defaults
    app.segmented_control(key="preset").set_value("bold").run()
    bold = (app.select_slider(key="style_weight").value, app.select_slider(key="tv_weight").value)
    assert bold[0] >= 3 * balanced[0] and bold[1] < balanced[1]  # more style, less smoothing
    app.segmented_control(key="preset").set_value("gentle").run()
    gentle = (app.select_slider(key="style_weight").value, app.select_slider(key="tv_weight").value)
    assert gentle[0] <= balanced[0] / 3 and gentle[1] == balanced[1]


def test_stylise_with_samples_gives_outputs_and_downloads(app):
    app.slider(key="size").set_value(128)
    app.slider(key="steps").set_value(10)
    app.slider(key="outputs").set_value(2)
    app.radio(key="weights_source").set_value("Offline VGG16").run()
    _run_to_completion(app)
    runs = app.session_state["runs"]
    assert len(runs) == 1 and runs[0].reason == "completed" and len(runs[0].snapshots) == 2
    labels = [d.label for d in app.get("download_button")]
    assert "Download result (PNG)" in labels and labels.count("PNG") == 2
    assert {"Settings (JSON)", "Loss curves (PNG)", "Losses (CSV)"} <= set(labels)
    assert any("Run 1: cat × swirls" in m.value and "s on VGG16, offline weights" in m.value for m in app.markdown)

    # colour controls and before/after views work on the finished image without a new run
    app.slider(key="look_saturation").set_value(0.0).run()
    app.toggle(key="look_keep_colours").set_value(True).run()
    app.radio(key="look_match").set_value("style").run()
    images_before = len(app.image)
    app.segmented_control(key="look_view").set_value("Side by side").run()
    assert len(app.image) == images_before + 1  # the photo beside the result
    app.segmented_control(key="look_view").set_value("Split").run()
    assert not app.exception and not app.error and len(app.session_state["runs"]) == 1

    # the next result starts without the last one's colour adjustments
    _run_to_completion(app)
    assert len(app.session_state["runs"]) == 2
    assert app.slider(key="look_saturation").value == 1.0 and not app.toggle(key="look_keep_colours").value
    assert app.radio(key="look_match").value == "none"


def test_bad_upload_shows_the_engine_message(app):
    app.segmented_control(key="content_mode").set_value("Upload").run()
    app.file_uploader(key="content_upload").set_value(("photo.png", b"definitely not a png", "image/png")).run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any(e.startswith("photo\\.png: ") and "not an image" in e for e in errors), errors
    assert _stylise_button(app).disabled


def test_an_uploaded_file_name_is_shown_not_rendered(app):
    app.segmented_control(key="content_mode").set_value("Upload").run()
    name = "<b>x</b>[click me](http://evil.example)![](http://e.x/i).png"
    app.file_uploader(key="content_upload").set_value((name, b"not a png", "image/png")).run()
    (error,) = [e.value.replace("\u2060", "") for e in app.error]  # less the joiners that stop autolinks
    # every Markdown character is escaped: no link, no image, no HTML reaches the page
    assert "\\[click me\\]\\(http\\://evil\\.example\\)" in error and "\\!\\[\\]" in error and "\\<b\\>" in error


def test_visitors_cannot_name_a_server_file(app, monkeypatch):
    # no text box for a path anywhere on the page, and no "local file" choice
    assert not app.text_input and "Local file" not in app.radio(key="weights_source").options
    assert app.radio(key="weights_source").options == ["ImageNet VGG19", "Offline VGG16"]
    # the operator's file (an environment variable on the server) is offered by its role, not its path
    monkeypatch.setenv("NST_WEIGHTS_FILE", "/srv/models/vgg19.h5")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    options = at.radio(key="weights_source").options
    assert options[0] == "Server's VGG19 weights" and not any("vgg19.h5" in o for o in options)
    assert not at.text_input


def test_invalid_settings_show_an_error_not_a_traceback(app):
    app.multiselect(key="style_layers").set_value([]).run()
    assert not app.exception
    assert any("style_layers" in e.value for e in app.error)
    assert _stylise_button(app).disabled


def test_two_paintings_by_region_with_the_maps_shown(app):
    app.button(key="add_style").click().run()
    assert app.selectbox(key="styles1_sample").value != app.selectbox(key="styles_sample").value
    app.slider(key="blend_1").set_value(0.5).run()
    images = len(app.image)
    app.segmented_control(key="region_mode").set_value("By colour").run()
    assert not app.exception and not app.error
    assert len(app.image) == images + 1  # the region map over the photo
    assert app.selectbox(key="region_style_0").value.startswith("1. ")
    assert app.selectbox(key="region_style_1").value.startswith("2. ")
    app.selectbox(key="region_style_1").set_value("Keep the photo")
    app.select_slider(key="saliency").set_value(5.0).run()
    assert len(app.image) >= images + 2  # the region map and the saliency map
    app.slider(key="size").set_value(128)
    app.slider(key="steps").set_value(6)
    app.radio(key="weights_source").set_value("Offline VGG16").run()
    _stylise_button(app).click().run()
    job = app.session_state["job"]
    styles, masks = job.task.style, job.task.masks
    assert len(styles) == 2 and len(masks) == 2 and masks[1].max() == 0  # painting 2 paints nowhere
    assert job.settings.style_blend == (1.0, 0.5) and job.settings.saliency == 5.0
    wait_for(job, timeout=300)
    app.run()
    runs = app.session_state["runs"]
    assert len(runs) == 1 and runs[0].reason == "completed", [e.value for e in app.error]
    assert "(regions)" in runs[0].title and " + " in runs[0].title


def test_regions_by_person_say_when_there_is_none_and_run_on_the_person(app):
    # the cat (the first sample) has no person: said in words, with a way back to colour regions
    app.segmented_control(key="region_mode").set_value("Person").run()
    assert not app.exception and any("No person found" in w.value for w in app.warning)
    next(b for b in app.button if b.label == "Use colour regions").click().run()
    assert app.segmented_control(key="region_mode").value == "By colour"
    app.selectbox(key="content_sample").set_value("astronaut").run()
    app.segmented_control(key="region_mode").set_value("Face").run()
    assert not app.exception and not app.warning
    legends = " ".join(m.value for m in app.markdown)
    assert "Region 1 (orange): face" in legends and "Region 3 (teal): background" in legends
    app.selectbox(key="region_style_0").set_value("Keep the photo")
    app.slider(key="size").set_value(128)
    app.slider(key="steps").set_value(4)
    app.radio(key="weights_source").set_value("Offline VGG16").run()
    _stylise_button(app).click().run()
    job = app.session_state["job"]
    # the run finds the regions itself, at its own size, soft at the person's outline
    assert job.task.masks is None and job.settings.segmenter == "face" and job.settings.segment_styles == (0, 1, 1)
    wait_for(job, timeout=300)
    app.run()
    runs = app.session_state["runs"]
    assert runs[0].reason == "completed" and "(regions)" in runs[0].title


def test_an_empty_painting_slot_holds_the_run(app):
    app.button(key="add_style").click().run()
    app.segmented_control(key="styles1_mode").set_value("Upload").run()
    assert not app.exception and _stylise_button(app).disabled  # not silently run with one painting
    app.button(key="remove_style_1").click().run()
    assert not _stylise_button(app).disabled


def test_auto_coarse_to_fine_says_how_many_sizes_at_the_chosen_size(app):
    scales = app.select_slider(key="scales")
    # from the instant picture: the working size of the stroke size, then the output's size
    assert scales.value == 0 and scales.options[0] == "auto (2 at 256 px)"
    app.radio(key="strokes").set_value("fine").run()
    assert app.select_slider(key="scales").options[0] == "auto (1 at 256 px)"
    app.slider(key="size").set_value(512).run()
    assert app.select_slider(key="scales").options[0] == "auto (1 at 512 px)"
    app.radio(key="init").set_value("palette").run()
    assert app.select_slider(key="scales").options[0] == "auto (3 at 512 px)"
    assert app.select_slider(key="scales").set_value(1).run().select_slider(key="scales").value == 1


def test_the_status_line_says_the_run_is_finishing_after_its_last_step():
    from nst.events import Losses, Step
    from nst.line.job import Job
    from studio.live import _status_line

    job = Job("c.png", "s.png", Settings(steps=2))
    job.record(Step(1, 2, Losses(1.0, {}), 1.0, shape=(341, 512), work=0.5))
    assert _status_line(job.status()).startswith("Step 1 of 2 at 512×341 px")
    job.record(Step(2, 2, Losses(1.0, {}), 2.0, shape=(341, 512), work=1.0))
    assert "finishing the result" in _status_line(job.status())


def test_instant_gives_a_result_at_once_outside_the_line(app):
    """The Instant button paints the photo in one pass in the server itself (no run, no line)."""
    app.slider(key="size").set_value(192).run()
    next(b for b in app.button if b.label == "Instant").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert "job" not in app.session_state or app.session_state["job"] is None  # nothing was put in the line
    (run,) = app.session_state["runs"]
    assert run.history == [] and run.settings.steps == 0 and run.settings.init == "instant"
    assert max(run.image.shape[:2]) == 192
    assert any("(instant)" in m.value and "painted in one pass" in m.value for m in app.markdown)
    labels = [d.label for d in app.get("download_button")]
    assert "Download result (PNG)" in labels and "Losses (CSV)" not in labels


def test_a_run_from_the_instant_picture_shows_it_before_its_first_step(app):
    app.radio(key="init").set_value("instant")
    app.slider(key="size").set_value(128)
    app.slider(key="steps").set_value(10)
    app.radio(key="weights_source").set_value("Offline VGG16").run()
    _stylise_button(app).click().run()
    assert not app.exception
    first = app.session_state["job_meta"]["first"]
    assert first is not None and max(first.shape[:2]) == 128
    job = app.session_state["job"]
    if job.status().step == 0:  # still loading or in line: the instant picture is what the stage shows
        assert any("The instant picture" in c for image in app.image for c in image.captions)
    status = wait_for(job, timeout=300)
    assert status.result.reason == "completed" and status.history


def test_the_picture_shown_at_stylise_is_the_runs_own_start_image(assets):
    """The default run starts from the instant picture in the painting's colours: the page shows that
    image, not the raw instant picture, so nothing changes colour when the first step arrives."""
    import numpy as np

    from nst import Preview, stylise
    from studio.inputs import Picked
    from studio.runs import instant_picture

    photo, painting = assets / "content/cat.jpg", assets / "styles/starry_night.jpg"
    settings = Settings(size=128, steps=0)
    assert settings.init == "instant-palette"
    shown = instant_picture(Picked("cat", photo, None), [Picked("starry night", painting, None)], settings)
    start = next(e for e in stylise(photo, painting, settings) if isinstance(e, Preview)).image
    np.testing.assert_allclose(shown, start, atol=1e-5)
    raw = instant_picture(Picked("cat", photo, None), [Picked("starry night", painting, None)],
                          settings.replace(init="instant"))
    assert np.abs(raw - start).mean() > 0.01  # the recolouring shows
