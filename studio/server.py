"""What the studio keeps per server process, apart from any drawing: the run line, who is asking,
the warm-up, and the drain on SIGTERM."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nst.errors import NSTError
from nst.line.executors import executor_for
from nst.line.limits import Limits
from nst.line.queue import RunQueue

RAY_ADDRESS_ENV = "NST_RAY_ADDRESS"
ICE_SERVERS_ENV = "NST_ICE_SERVERS"
log = logging.getLogger(__name__)


_making_line = threading.Lock()


@functools.cache
def _line() -> RunQueue:
    return RunQueue(Limits.from_environment(os.environ), executor_for(os.environ.get(RAY_ADDRESS_ENV), os.environ))


def line() -> RunQueue:
    """This server's one run line: the operator's limits (NST_* variables) on local worker
    processes, or on Ray actors where NST_RAY_ADDRESS names a cluster. Made once, however many
    sessions ask at once (every tab reruns together after a restart)."""
    with _making_line:
        return _line()


@functools.cache
def live_slots():
    """This server's live streams (nst/live.py): NST_MAX_LIVE at once, one per visitor."""
    from nst.live import LiveSlots

    return LiveSlots(line().limits.live_streams)


def ice_servers() -> list[dict]:
    """The STUN/TURN servers a live stream's browser and this server may use (NST_ICE_SERVERS, JSON as
    the browser's RTCPeerConnection takes it, from the operator): none by default, which works on this
    machine and on a local network, not across the internet (README, "Live camera")."""
    import json

    text = os.environ.get(ICE_SERVERS_ENV, "").strip()
    if not text:
        return []
    try:
        servers = json.loads(text)
    except ValueError:
        servers = None
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        log.warning("%s is not a JSON list of {\"urls\": ...} servers; live streams use none", ICE_SERVERS_ENV)
        return []
    return servers


def capacity() -> str:
    """How many runs this server runs at once, and where."""
    queue = line()
    slots = queue.limits.slots
    where = " on its Ray cluster" if os.environ.get(RAY_ADDRESS_ENV) else ""
    return f"This server runs {slots} run{'s' if slots > 1 else ''} at once{where}."


def session_watch() -> Callable[[], bool]:
    """Whether this browser session is still connected: a closed tab stops its run within seconds."""
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return lambda: True  # not under `streamlit run` (AppTest): the line's poll timeout still applies
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


XSRF_COOKIE = "_streamlit_xsrf"


def visitor_key() -> str:
    """Who is asking, as far as the server can tell: the browser. Streamlit's XSRF cookie is set once
    per browser and sent by all its tabs, so it keys the per-visitor limit (nst/line/queue.py). Its
    limits: another browser or a private window is another visitor, and where the cookie is missing
    (XSRF protection off) each tab counts as one. The IP address is not used: a class behind one
    school router shares it."""
    try:
        cookie = st.context.cookies.get(XSRF_COOKIE)
    except Exception:  # not under `streamlit run` (AppTest): no request to read
        cookie = None
    if isinstance(cookie, str) and cookie:
        return "browser:" + hashlib.sha256(_xsrf_token(cookie)).hexdigest()[:16]
    ctx = get_script_run_ctx()
    return f"tab:{ctx.session_id if ctx is not None else 'none'}"


def _xsrf_token(cookie: str) -> bytes:
    """The token inside Tornado's masked XSRF cookie ('2|mask|masked token|time'), the same for every
    masking of it; the cookie itself when it has another form."""
    parts = cookie.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2" and parts[1]:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))
    except ValueError:
        pass
    return cookie.encode()


def owner() -> dict[str, object]:
    """The `watch` and `visitor` of a job that this page starts (nst/line/job.py)."""
    return {"watch": session_watch(), "visitor": visitor_key()}


def warm_up(weights: str) -> None:
    """When a visitor opens the studio (once per browser session and network): start the run workers
    and build the network in them, so their first run does not wait for TensorFlow to load. Workers
    that then run nothing for NST_WORKER_IDLE_SECONDS let their memory go (nst/line/queue.py): an
    idle server is the web process alone."""
    if st.session_state.get("_warmed_for") != weights:
        st.session_state["_warmed_for"] = weights
        line().warm(weights)
    _warm_instant_network()


@st.cache_resource(show_spinner=False)
def _warm_instant_network() -> bool:
    """Once per server process: load the instant network here, in the background, so the first instant
    picture does not wait for it. That thread is not a daemon: an interpreter that exits while
    onnxruntime loads waits for it rather than aborting."""
    threading.Thread(target=_load_instant_network, name="nst-instant-warm-up").start()
    return True


def _load_instant_network() -> None:
    from nst.instant import instant_network

    try:
        instant_network()
    except NSTError:
        pass  # the first instant picture says why


SHUTDOWN_MESSAGE = (
    "This server is shutting down (a restart or an update): a run in line was cancelled; a running one "
    "was stopped and keeps its image so far. Download it now: the page loses the server in a few seconds."
)


@st.cache_resource(show_spinner=False)
def stop_gracefully() -> bool:
    """Once per server process: on SIGTERM (a restart, a redeploy), stop every run keeping its image
    and give the pages NST_SHUTDOWN_SECONDS (default 8) to show it before Streamlit stops. Signal
    handlers can only be set on the main thread, which runs Streamlit's event loop: the handler is
    installed from there, and wraps Streamlit's own."""
    try:
        grace = float(os.environ.get("NST_SHUTDOWN_SECONDS", "8"))
    except ValueError:
        grace = -1.0
    if not 0 <= grace <= 600:  # nan too
        log.warning("NST_SHUTDOWN_SECONDS must be a number of seconds from 0 to 600: 8 s it is")
        grace = 8.0
    try:
        loop = Runtime.instance()._get_async_objs().eventloop  # Streamlit's loop (no public accessor)
    except Exception:  # not under `streamlit run` (AppTest), or Streamlit changed: a plain stop then
        return False

    def install() -> None:
        streamlit_stop = signal.getsignal(signal.SIGTERM)

        def on_sigterm(number: int, frame: object) -> None:
            signal.signal(signal.SIGTERM, streamlit_stop)  # a second SIGTERM stops at once

            def drain() -> None:
                line().drain(SHUTDOWN_MESSAGE)
                time.sleep(grace)
                loop.call_soon_threadsafe(streamlit_stop, number, None)

            threading.Thread(target=drain, name="nst-shutdown", daemon=True).start()

        if callable(streamlit_stop):
            signal.signal(signal.SIGTERM, on_sigterm)

    loop.call_soon_threadsafe(install)
    return True
