"""The worker process: runs style transfers for a parent process, one at a time, with the network
loaded once and kept between runs.

The studio's server starts one per run slot (nst/jobs.py) as ``python -m nst.worker`` and talks to it
with pickled tuples: requests on the worker's stdin, replies on its stdout.

    parent -> worker   ("warm", weights)                       build that network now, not at the first run
                       ("run", job_id, content, style, masks, settings)
                       ("inspect", job_id, {name: image}, settings)   feature maps and Gram matrices (nst/inside.py)
                       ("video", job_id, clip bytes, style, mode, limits, span, settings)  a clip, or its frames [span)
                       ("stop", job_id)                         cancel between steps, keep the image so far
    worker -> parent   ("ready", pid)
                       ("network", weights, layer_names, description)   after building a network: what it is
                       ("warmed", weights)                      the warm-up for `weights` is over
                       ("started", job_id)
                       ("event", job_id, Notice | Preview | Step | Finished | Inspection | FrameDone | ClipFinished)
                       ("download", job_id, done_bytes, total_bytes)
                       ("error", job_id, message)
                       ("done", job_id, networks_built)

A run in its own process shares no GIL with the web server (page refreshes no longer slow it down),
a crash of TensorFlow takes down only the worker, and a run that stops responding can be killed. The
worker exits when its stdin closes, so it never outlives the server.
"""

from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any, BinaryIO


def main() -> None:
    channel = os.fdopen(os.dup(1), "wb")  # messages go here; anything printed goes to stderr, the server log
    os.dup2(2, 1)
    requests: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
    stops: set[int] = set()
    threading.Thread(target=_read, args=(sys.stdin.buffer, requests, stops), daemon=True).start()

    from . import backbone  # noqa: F401  TensorFlow loads here, after stdout is out of the way

    send_lock = threading.Lock()

    def send(*message: Any) -> None:
        with send_lock:
            pickle.dump(message, channel, protocol=pickle.HIGHEST_PROTOCOL)
            channel.flush()

    send("ready", os.getpid())
    while (request := requests.get()) is not None:
        handle(request, send, lambda job_id: job_id in stops)
        if request[0] != "warm":
            stops.discard(request[1])


def handle(request: tuple[Any, ...], send: Callable[..., None], stopped: Callable[[int], bool]) -> None:
    """Serve one request ("warm", "run" or "inspect", as above) in this process, with the networks it
    keeps, sending each reply with `send`; `stopped(job_id)` says whether a run was asked to stop.
    The worker process and the Ray actor (nst/cluster.py) both serve with it."""
    from . import backbone
    from .engine import stylise
    from .errors import NSTError
    from .settings import Settings

    if request[0] == "warm":
        _warm(backbone, request[1], send)
        return
    kind, job_id, *inputs, settings = request
    send("started", job_id)
    try:
        assert isinstance(settings, Settings)
        network = backbone.load_backbone(  # once per process; the run uses it and the page learns its layers
            settings.weights, settings.resolved_weights_file,
            on_download=lambda done, total: send("download", job_id, done, total),
        )
        send("network", settings.weights, tuple(network.layer_names()), network.description)
        if kind == "inspect":
            send("event", job_id, _inspect(network, inputs[0], settings))
        elif kind == "video":
            from .clips import read_clip
            from .video import stylise_video

            data, style, mode, limits, span = inputs
            clip = read_clip(data, settings.size, limits)  # the decoder runs here, never in the server
            frames = clip.frames if span is None else clip.frames[span[0]:span[1]]
            for event in stylise_video(frames, clip.fps, style, settings, mode=mode, backbone=network,
                                       should_stop=lambda: stopped(job_id)):
                send("event", job_id, event)
        else:
            content, style, masks = inputs
            for event in stylise(content, style, settings, masks=masks, backbone=network,
                                 should_stop=lambda: stopped(job_id)):
                send("event", job_id, event)
    except NSTError as exc:
        send("error", job_id, str(exc))
    except Exception as exc:  # the parent shows a short message; the traceback goes to the server log
        import traceback

        traceback.print_exc()
        send("error", job_id, f"Unexpected error ({type(exc).__name__}: {exc}). Details are in the server log.")
    send("done", job_id, backbone.networks_built())


def _read(stream: BinaryIO, requests: queue.Queue, stops: set[int]) -> None:
    """Hand runs to the main thread in order; note stops at once (the main thread is busy running)."""
    try:
        while True:
            message = pickle.load(stream)
            if message[0] == "stop":
                stops.add(message[1])
            else:
                requests.put(message)
    except (EOFError, OSError, pickle.UnpicklingError):
        os._exit(0)  # the server has gone: so does its worker


def _inspect(network: Any, images: dict[str, Any], settings: Any) -> Any:
    """What every layer of `network` sees in each image, loaded at the settings' size."""
    from .images import load_image
    from .inside import look_inside

    return look_inside(network, {name: load_image(image, settings.size, name, narrow_ok=True) for name, image in images.items()})


def _warm(backbone: Any, weights: str, send: Callable[..., None]) -> None:
    """Build the network (and its bfloat16 copy) the first run will need and tell the parent what it
    is; then say the warm-up is over. ImageNet weights that are not cached yet are left to the first
    run, which downloads them with progress on its page, unless their server cannot be reached: then
    the offline network that runs instead is built and named now, so the page says so before any run."""
    from . import precision

    try:
        if weights != "imagenet" or backbone.imagenet_weights_cached() or not backbone.imagenet_reachable():
            network = backbone.load_backbone(weights)
            backbone.cast_network(network.network, precision.resolve("auto"))
            send("network", weights, tuple(network.layer_names()), network.description)
    except Exception as exc:  # the run that needs it will report the problem properly
        print(f"nst worker: could not prepare the {weights} network: {exc}", file=sys.stderr)
    send("warmed", weights)


if __name__ == "__main__":
    main()
