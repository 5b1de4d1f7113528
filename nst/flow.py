"""Optical flow between video frames (OpenCV's DIS), warping, and where the flow can be trusted.

As in Ruder et al. 2016 ("Artistic style transfer for videos"): the previous stylised frame, warped
along the flow from the photo's frame t back to frame t-1, is where frame t starts and what the
temporal loss keeps it close to, except where the flow cannot be trusted: pixels that are occluded
or disoccluded fail the forward-backward check (following a pixel forward and back again does not
lead home).
"""

from __future__ import annotations

import numpy as np


def _grey(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor((np.clip(frame, 0, 1) * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


def optical_flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(H, W, 2) displacement (x, y) that takes each pixel of `source` to where it is in `target`."""
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(_grey(source), _grey(target), None)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """`image` pulled along `flow`: out(x) = image(x + flow(x)), bilinear, edges repeated."""
    import cv2

    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(image.astype(np.float32), grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def reliable(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """(H, W) float mask, 1 where the flow can be trusted: following `backward` (frame t -> t-1) and
    then `forward` (t-1 -> t) returns within Ruder et al.'s tolerance."""
    back_then_forth = backward + warp(forward, backward)
    error = np.sum(back_then_forth**2, axis=-1)
    tolerance = 0.01 * (np.sum(backward**2, axis=-1) + np.sum(warp(forward, backward) ** 2, axis=-1)) + 0.5
    return (error <= tolerance).astype(np.float32)


def warping_error(current: np.ndarray, previous: np.ndarray, backward: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute difference between a stylised frame and the previous one warped onto it, over the
    pixels whose flow is reliable: how much the picture flickers where nothing new appeared."""
    difference = np.abs(current - warp(previous, backward)).mean(axis=-1)
    return float((difference * mask).sum() / max(mask.sum(), 1.0))
