"""The worker: serves the line's requests (nst/line/protocol.py), one run at a time, with the
networks it builds kept between runs.

As a process (``python -m nst.line.serve``, started by nst/line/process.py) it reads pickled
requests on stdin and writes pickled replies on stdout, and exits when stdin closes, so it never
outlives the server. A Ray actor (nst/line/actors.py) calls `handle` directly.
"""

from __future__ import annotations

import os
import pickle
import queue
import shutil
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

from .. import backends
from ..startup import import_engine
from .protocol import (
    Done,
    Download,
    Emitted,
    Failed,
    Inspect,
    Network,
    Paint,
    PaintClip,
    Ready,
    Reply,
    Request,
    Run,
    Started,
    Stop,
    Warm,
    Warmed,
)

Send = Callable[[Reply], None]

SCRATCH_PREFIX = "nst-worker-"  # the temporary folder the server makes for each worker process


def main() -> None:
    channel = os.fdopen(os.dup(1), "wb")  # replies go here; anything printed goes to stderr, the server log
    os.dup2(2, 1)
    requests: queue.Queue[Request] = queue.Queue()
    stops: set[int] = set()
    threading.Thread(target=_read, args=(sys.stdin.buffer, requests, stops), daemon=True).start()

    import_engine()  # TensorFlow loads here, after stdout is out of the way, its start-up noise kept off the log

    send_lock = threading.Lock()

    def send(reply: Reply) -> None:
        with send_lock:
            pickle.dump(reply, channel, protocol=pickle.HIGHEST_PROTOCOL)
            channel.flush()

    send(Ready(os.getpid()))
    while True:
        request = requests.get()
        handle(request, send, stops.__contains__)
        if isinstance(request, Run):
            stops.discard(request.job_id)


def handle(request: Warm | Run, send: Send, stopped: Callable[[int], bool]) -> None:
    """Serve one request in this process, with the networks it keeps, sending each reply with `send`;
    `stopped(job_id)` says whether a run was asked to stop."""
    from .. import backbone
    from ..errors import NSTError

    if isinstance(request, Warm):
        _warm(backbone, request.weights, send)
        return
    job_id, settings = request.job_id, request.settings
    send(Started(job_id))
    try:
        network = backbone.load_backbone(  # once per process; the run uses it and the page learns its layers
            settings.weights, settings.resolved_weights_file,
            on_download=lambda done, total: send(Download(job_id, done, total)),
        )
        send(Network(settings.weights, tuple(network.layer_names()), network.description, backends.describe()))
        for event in _events(request, network, lambda: stopped(job_id)):
            send(Emitted(job_id, event))
    except NSTError as exc:
        send(Failed(job_id, str(exc)))
    except Exception as exc:  # the line shows a short message; the traceback goes to the server log
        traceback.print_exc()
        send(Failed(job_id, f"Unexpected error ({type(exc).__name__}: {exc}). Details are in the server log."))
    send(Done(job_id, backbone.networks_built(), resident_mb()))


def _events(request: Run, network: Any, should_stop: Callable[[], bool]) -> Any:
    """The engine's events for the request's task."""
    settings = request.settings
    match request.task:
        case Inspect(images):
            from ..images import load_image
            from ..inside import look_inside

            yield look_inside(network, {name: load_image(image, settings.size, name, narrow_ok=True)
                                        for name, image in images.items()})
        case PaintClip(data, style, mode, limits, span):
            from ..clips import read_clip
            from ..events import Notice
            from ..video import stylise_video

            clip = read_clip(data, settings.size, limits)  # the decoder runs here, never in the server
            frames = clip.frames if span is None else clip.frames[span[0]:span[1]]
            if span is None or span[0] == 0:  # told once, by the first chunk
                yield from (Notice(note) for note in clip.notes)
            yield from stylise_video(frames, clip.fps, style, settings, mode=mode, backbone=network,
                                     should_stop=should_stop)
        case Paint(content, style, masks):
            from ..engine import stylise

            yield from stylise(content, style, settings, masks=masks, backbone=network, should_stop=should_stop)


def resident_mb() -> float:
    """This process's resident memory in MB: now where /proc says (Linux), else its peak; 0 if unknown."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration, ValueError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KB elsewhere
    except (ImportError, OSError):
        return 0.0


def _read(stream: BinaryIO, requests: queue.Queue, stops: set[int]) -> None:
    """Hand runs to the main thread in order; note stops at once (the main thread is busy running)."""
    try:
        while True:
            request = pickle.load(stream)
            if isinstance(request, Stop):
                stops.add(request.job_id)
            else:
                requests.put(request)
    except (EOFError, OSError, pickle.UnpicklingError):
        scratch = tempfile.gettempdir()  # the folder the server made for this worker (nst/line/process.py)
        if os.path.basename(scratch).startswith(SCRATCH_PREFIX):
            shutil.rmtree(scratch, ignore_errors=True)  # a server that exits cannot remove it any more
        os._exit(0)  # the server has gone: so does its worker


def _warm(backbone: Any, weights: str, send: Send) -> None:
    """Build the network (and its bfloat16 copy) the first run will need and tell the line what it
    is; then say the warm-up is over. ImageNet weights that are not cached yet are left to the first
    run, which downloads them with progress on its page, unless their server cannot be reached: then
    the offline network that runs instead is built and named now, so the page says so before any run."""
    from .. import precision

    try:
        if weights != "imagenet" or backbone.imagenet_weights_cached() or not backbone.imagenet_reachable():
            network = backbone.load_backbone(weights)
            backbone.cast_network(network.network, precision.resolve("auto"))
            send(Network(weights, tuple(network.layer_names()), network.description, backends.describe()))
    except Exception as exc:  # the run that needs it will report the problem properly
        print(f"nst worker: could not prepare the {weights} network: {exc}", file=sys.stderr)
    send(Warmed(weights))


if __name__ == "__main__":
    main()
