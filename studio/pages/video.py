"""Video: a short clip painted frame by frame in the style of a painting, without flicker."""

import os
import tempfile
from pathlib import Path

import streamlit as st

from nst.clips import ClipLimits, write_clip
from nst.errors import NSTError
from nst.line.job import Job
from studio import controls, runs, server
from studio.inputs import ASSETS, image_input, plain, show_fitted

# a public server's clip: short and small (a 2-core server paints a 192 px frame in a few seconds)
LIMITS = ClipLimits(seconds=float(os.environ.get("NST_VIDEO_SECONDS", "4")), frames=60, side=1920, megabytes=25,
                    decode_seconds=20.0)
SIZE = int(os.environ.get("NST_VIDEO_SIZE", "192"))
MODES = {"temporal": "Painted, without flicker (minutes)", "instant": "Instant, smoothed (seconds)",
         "independent": "Painted frame by frame (flickers: to compare)"}
FIRST_STEPS = 60  # the first frame's steps; each later frame, which starts close to its answer, gets a third

settings, problem = controls.settings_from_state()
st.markdown("#### :material/movie: Video", help="A short clip in the style of a painting.")
st.caption(
    f"Clips of up to {LIMITS.seconds:g} s and {LIMITS.frames} frames (MP4, WebM or GIF; no sound), painted at "
    f"{SIZE} px. Each frame starts from the last one, moved along with the picture (optical flow), and keeps "
    "it where nothing new appears: no flicker (Ruder et al. 2016)."
)
inputs_col, stage_col = st.columns([1, 2.7], gap="medium")
with inputs_col:
    samples = {p.stem.replace("_", " "): p for p in sorted((ASSETS / "clips").glob("*.mp4"))}
    st.session_state.setdefault("clip_mode", "Samples")
    source = st.segmented_control("Clip", ["Samples", "Upload"], required=True, key="clip_mode")
    clip, clip_name = None, None
    if source == "Upload":
        upload = st.file_uploader("Upload a clip", type=["mp4", "webm", "gif", "mov"], key="clip_upload",
                                  max_upload_size=LIMITS.megabytes, label_visibility="collapsed")
        if upload is not None:
            clip, clip_name = upload.getvalue(), upload.name
    else:
        st.session_state.setdefault("clip_sample", next(iter(samples)))
        name = st.selectbox("Sample clip", list(samples), key="clip_sample", label_visibility="collapsed")
        clip, clip_name = samples[name].read_bytes(), name
        st.video(clip, loop=True, autoplay=True, muted=True)
    style = image_input("styles", "Style painting")
    st.session_state.setdefault("clip_paint_mode", "temporal")
    mode = st.radio("How", list(MODES), format_func=MODES.get, key="clip_paint_mode")
    job: Job | None = st.session_state.get("video_job")
    running = job is not None and not job.status().done
    ready = settings is not None and clip is not None and style is not None
    if st.button("Paint the clip", type="primary", icon=":material/movie:", width="stretch",
                 disabled=running or runs.running() or not ready):
        video_settings = settings.replace(size=SIZE, steps=FIRST_STEPS, preview_every=0, outputs=1)
        try:
            job = Job.video(clip, style.source, video_settings, mode, LIMITS, **server.owner())
            st.session_state.video_job = job.start(server.line())
            st.session_state.video_result = None
            st.session_state.video_title = f"{plain(clip_name or 'clip')} × {plain(style.name)}"
        except NSTError as exc:
            st.error(str(exc))
        st.rerun()


@st.fragment(run_every=1.0)
def live(job: Job) -> None:
    status = job.status()
    if status.done:
        st.session_state.video_job = None
        if status.error:
            st.session_state.video_error = status.error
        elif status.result is not None:
            st.session_state.video_result = status.result
            st.session_state.video_notices = status.notices  # a clip cut short: said with its result
        st.rerun()
    if status.queued:
        st.info(f"In line: number {status.position}. {server.capacity()}")
    else:
        where = f"frame {status.frame + 1} of {status.frames}" if status.frames else "the first frame"
        fraction = status.frame / status.frames if status.frames else 0.0
        st.progress(min(fraction, 1.0), text=f"Painting {where} · step {status.step} · {status.elapsed:.0f} s")
    if status.preview is not None:
        show_fitted(status.preview, 360, caption="The latest painted frame")
    st.button("Stop", icon=":material/stop_circle:", on_click=job.stop, key="stop_clip",
              help="Stop after the current step: the frames painted so far make the clip.")


with stage_col:
    if problem:
        st.error(problem)
    error = st.session_state.pop("video_error", None)
    if error:
        st.error(error)
    job = st.session_state.get("video_job")
    result = st.session_state.get("video_result")
    if job is not None:
        live(job)
    elif result is not None and result.frames:
        with tempfile.TemporaryDirectory() as folder:
            path = write_clip(result.frames, result.fps, Path(folder) / "clip.mp4")
            data = path.read_bytes()
        flicker = "" if result.warping_error is None else f" Warping error {result.warping_error:.4f} (lower flickers less)."
        st.markdown(f"**{st.session_state.get('video_title', 'Clip')}**: {result.message} {result.elapsed:.0f} s.{flicker}")
        for notice in st.session_state.get("video_notices", []):
            st.warning(notice)
        st.video(data, loop=True, autoplay=True, muted=True)
        st.download_button("Download the clip (MP4)", data, "nst-clip.mp4", "video/mp4", icon=":material/download:",
                           on_click="ignore", type="primary")
    else:
        st.info("Pick a clip and a painting on the left, then press **Paint the clip**. Instant takes seconds; "
                "painted without flicker takes a few minutes on a small server.")
