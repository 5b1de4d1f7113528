"""NST Studio: repaint a photo in the style of a painting, and see inside the network that does it.

This entry point only sets up what every page shares and routes to the pages in studio/pages/; the
widgets live in studio/ and the work in nst/. Run it with: streamlit run streamlit_app.py
"""

import streamlit as st

from nst import NSTError, backends
from studio import controls, server, share

# Runs happen in worker processes (nst/line/): this server process never loads TensorFlow.
st.set_page_config(page_title="NST Studio", page_icon="🎨", layout="wide")
st.markdown(
    "<style>.block-container{padding-top:2.2rem;padding-bottom:1rem}</style>", unsafe_allow_html=True
)
try:
    backends.check()  # KERAS_BACKEND names one that is installed (its workers would fail to start)
except NSTError as exc:
    st.error(str(exc))
    st.stop()
page = st.navigation([
    st.Page("studio/pages/studio.py", title="Studio", icon=":material/palette:", default=True),
    st.Page("studio/pages/inside.py", title="Inside the network", icon=":material/neurology:", url_path="inside"),
    st.Page("studio/pages/video.py", title="Video", icon=":material/movie:", url_path="video"),
    st.Page("studio/pages/camera.py", title="Live camera", icon=":material/videocam:", url_path="camera"),
])
controls.init_state()
share.restore()  # a shared link's or an uploaded JSON's settings, before the widgets are drawn
controls.sidebar()
share.show_messages()
server.warm_up(controls.current_weights())  # workers started when a visitor comes; the instant network once
server.stop_gracefully()  # on SIGTERM: stop the runs, keep their images, let the pages show them
page.run()
