"""The Video page: a clip painted in the run line."""

from tests.harness.paths import ROOT


def test_the_video_page_paints_a_sample_clip_in_the_run_line():
    """The page's clip runs in a worker (where the decoder runs too): progress, then the clip plays
    with a download."""
    from streamlit.testing.v1 import AppTest

    from nst.line.job import wait_for

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.radio(key="weights_source").set_value("Offline VGG16").run()
    at.switch_page("studio/pages/video.py").run()
    assert not at.exception and any("Clips of up to 4 s" in c.value for c in at.caption)
    at.radio(key="clip_paint_mode").set_value("instant").run()
    next(b for b in at.button if b.label == "Paint the clip").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    status = wait_for(at.session_state["video_job"], timeout=300)
    assert status.result is not None and len(status.result.frames) == 36, status.error
    at.run()
    assert not at.exception
    assert "Download the clip (MP4)" in [d.label for d in at.get("download_button")]
    assert any("Painted 36 frames" in m.value and "Warping error" in m.value for m in at.markdown)
