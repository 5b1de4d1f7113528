"""Live camera: the webcam repainted frame by frame in the style of a painting (the instant network),
with its frames per second on the picture."""

import av
import cv2
import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from nst.errors import NSTError
from nst.instant import instant_network
from nst.live import SIZES, LivePainter
from studio import server
from studio.inputs import image_input

st.markdown("#### :material/videocam: Live camera", help="Your webcam, painted live in the style of a painting.")
st.caption(
    "Press Start and allow the camera: each frame is painted by the instant network, the same one that starts "
    "every run, at the size you choose (smaller is smoother). The picture shows the frames per second. While "
    "other visitors' runs are working, live painting slows to a few frames a second so that their runs keep "
    f"the processor; the server paints {server.line().limits.live_streams} live stream(s) at once, one per browser."
)
inputs_col, stage_col = st.columns([1, 2.7], gap="medium")
with inputs_col:
    painting = image_input("styles", "Style painting", key="live_style", first="starry night")
    st.session_state.setdefault("live_size", SIZES[0])
    size = st.select_slider("Painted size (px)", SIZES, key="live_size",
                            help="The longer side of each painted frame: 128 px keeps up on two cores; 384 px "
                            "needs a fast processor or a GPU.")


@st.cache_resource(show_spinner=False, max_entries=32)
def _code(name: str, preview: np.ndarray) -> np.ndarray:
    return instant_network().style_code(preview)


SHOWN_SIDE = 384  # frames are enlarged to this before their caption, so that the text stays sharp


def _caption(image: np.ndarray, text: str) -> np.ndarray:
    height, width = image.shape[:2]
    if max(height, width) < SHOWN_SIDE:
        factor = SHOWN_SIDE / max(height, width)
        image = cv2.resize(image, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_LINEAR)
    image = np.ascontiguousarray(image)
    scale = image.shape[1] / 900
    for colour, width in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(image, text, (6, round(18 * scale + 4)), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, width, cv2.LINE_AA)
    return image


def _frame_callback(painter: LivePainter, stream: str, visitor: str):
    slots = server.live_slots()

    def paint(frame: av.VideoFrame) -> av.VideoFrame:
        image = frame.to_ndarray(format="rgb24")
        refused = slots.claim(stream, visitor)
        if refused:
            return av.VideoFrame.from_ndarray(_caption(image[::2, ::2], refused[:60]), format="rgb24")
        painted = painter(image)
        note = f"{painter.fps:.1f} fps, {painter.size} px" + (" (a run is working: slowed)" if painter.yielding else "")
        return av.VideoFrame.from_ndarray(_caption(painted, note), format="rgb24")

    return paint


with stage_col:
    if painting is None:
        st.info("Pick or upload a painting to paint the camera with.")
    else:
        try:
            code = _code(painting.name, painting.preview)
        except NSTError as exc:
            st.error(str(exc))
            st.stop()
        key = (painting.name, hash(painting.preview.tobytes()), size)
        if st.session_state.get("_live_painter_key") != key:  # a new painting or size: a new painter
            st.session_state["_live_painter"] = LivePainter(instant_network(), code, size,
                                                            busy=lambda: server.line().running() > 0)
            st.session_state["_live_painter_key"] = key
        context = get_script_run_ctx()
        stream = context.session_id if context is not None else "none"
        webrtc_streamer(
            key="webcam", mode=WebRtcMode.SENDRECV,
            video_frame_callback=_frame_callback(st.session_state["_live_painter"], stream, server.visitor_key()),
            media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
            rtc_configuration={"iceServers": server.ice_servers()},
            on_video_ended=lambda: server.live_slots().release(stream),  # Stop gives the place up at once
        )
        st.caption(
            "Nothing of the camera is stored. On this machine or a school's network the stream connects directly; "
            "across the internet (Streamlit Community Cloud) it needs a TURN server that the server's operator "
            "names in NST_ICE_SERVERS (README, \"Live camera\"): without one, Start keeps trying and no picture "
            "comes. A still from the camera works everywhere: Studio, Content photo, Camera."
        )
