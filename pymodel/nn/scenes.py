"""Deterministic procedural indoor RGB-D scenes: the data of the bundled SYNTHETIC default.

Each scene is a box-shaped room (floor, ceiling, four walls) seen by a pinhole camera with
NYU-like intrinsics (fx = fy = 518.9 px at 640 wide) and a random yaw/pitch, holding a few
axis-aligned boxes standing on the floor (furniture). Every pixel is ray-cast exactly, so the
depth map is the true z-depth of the RGB image. Surfaces get a base colour, a procedural
texture in world coordinates (stripes, checks, planks or value noise), Lambertian shading from
one point light with distance falloff plus ambient light, and a little sensor noise.

Depths are in metres, clipped to 0.5..10 m (the NYU range). Scene ``i`` of seed ``s`` is
always the same image: ``np.random.default_rng([s, i])`` drives it, so tests and the
committed default model are reproducible on any machine. This data is synthetic; it is not
NYU Depth v2 and numbers measured on it say nothing about the real seed network.
"""

from __future__ import annotations

import numpy as np

from pymodel.core.errors import MBMError

MIN_DEPTH_M, MAX_DEPTH_M = 0.5, 10.0
#: Scene size (H, W) of the bundled synthetic default (training and evaluation).
DEFAULT_HW = (96, 128)
#: NYU Depth v2 focal length in pixels at 640 x 480.
_NYU_FOCAL_PX = 518.9
_PATTERNS = ("stripes", "checks", "planks", "noise")


def _rotation(yaw: float, pitch: float) -> np.ndarray:
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    r_yaw = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    r_pitch = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    return r_yaw @ r_pitch


def _value_noise(u: np.ndarray, v: np.ndarray, rng: np.random.Generator, cells: int = 16) -> np.ndarray:
    """Smooth 2-D value noise in [0, 1] sampled at world coordinates u, v (tiled)."""
    grid = rng.random((cells + 1, cells + 1))
    uu, vv = np.mod(u, cells), np.mod(v, cells)
    i, j = uu.astype(int), vv.astype(int)
    fu, fv = uu - i, vv - j
    fu, fv = fu * fu * (3 - 2 * fu), fv * fv * (3 - 2 * fv)
    top = grid[i, j] * (1 - fu) + grid[i + 1, j] * fu
    bottom = grid[i, j + 1] * (1 - fu) + grid[i + 1, j + 1] * fu
    return top * (1 - fv) + bottom * fv


def _texture(u: np.ndarray, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness factor in about 0.6..1.2 for surface coordinates u, v (metres)."""
    kind = _PATTERNS[rng.integers(len(_PATTERNS))]
    period = rng.uniform(0.15, 0.8)
    if kind == "stripes":
        t = 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * u / period))
    elif kind == "checks":
        t = ((np.floor(u / period) + np.floor(v / period)) % 2).astype(float)
    elif kind == "planks":
        t = (np.floor(v / period) % 3) / 2 + 0.2 * np.sin(2 * np.pi * u / (3 * period))
    else:
        t = _value_noise(u / period, v / period, rng)
    contrast = rng.uniform(0.1, 0.4)
    return 1 - contrast / 2 + contrast * t


def _box_hits(origin: np.ndarray, dirs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slab test: (t of entry or inf, index 0..2 of the axis whose face was hit)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (lo - origin) / dirs
        t2 = (hi - origin) / dirs
    tmin, tmax = np.minimum(t1, t2), np.maximum(t1, t2)
    t_in = np.nanmax(tmin, axis=-1)
    t_out = np.nanmin(tmax, axis=-1)
    hit = (t_in <= t_out) & (t_in > 1e-6)
    return np.where(hit, t_in, np.inf), np.nanargmax(tmin, axis=-1)


def render_scene(index: int, height: int = 96, width: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scene ``index``: (rgb uint8 H x W x 3, depth float32 H x W in metres, 0.5..10)."""
    if height < 8 or width < 8:
        raise MBMError(f"scene size {height}x{width} is too small: allowed at least 8x8 pixels")
    rng = np.random.default_rng([seed, index])
    # Room: camera at the origin, y points down, the floor at y = cam_h.
    cam_h = rng.uniform(1.0, 1.6)
    ceil_h = rng.uniform(2.4, 3.2)
    left, right = rng.uniform(1.2, 3.5), rng.uniform(1.2, 3.5)
    back, front = rng.uniform(3.0, 9.5), rng.uniform(0.5, 2.0)
    room_lo = np.array([-left, cam_h - ceil_h, -front])
    room_hi = np.array([right, cam_h, back])

    f = _NYU_FOCAL_PX * width / 640
    v, u = np.mgrid[0:height, 0:width].astype(float)
    d_cam = np.stack([(u + 0.5 - width / 2) / f, (v + 0.5 - height / 2) / f, np.ones_like(u)], axis=-1)
    rot = _rotation(rng.uniform(-0.35, 0.35), rng.uniform(-0.25, 0.25))
    dirs = d_cam @ rot.T  # world directions; the camera z-depth of a hit is its ray t
    origin = np.zeros(3)

    # Inside the room the exit face of the slab test is the visible wall.
    with np.errstate(divide="ignore"):
        t_walls = np.where(dirs > 0, (room_hi - origin) / dirs, (room_lo - origin) / dirs)
    depth = t_walls.min(axis=-1)
    axis = t_walls.argmin(axis=-1)
    positive = np.take_along_axis(dirs, axis[..., None], -1)[..., 0] > 0
    surface = np.where(positive, 2 * axis + 1, 2 * axis)  # 0..5: room faces

    n_boxes = rng.integers(1, 6)
    for b in range(n_boxes):
        size = rng.uniform([0.3, 0.3, 0.3], [1.5, 1.8, 1.2])
        cx = rng.uniform(-left + size[0] / 2, right - size[0] / 2)
        cz = rng.uniform(1.0, max(1.2, back - size[2] / 2))
        lo = np.array([cx - size[0] / 2, cam_h - size[1], cz - size[2] / 2])
        t_box, face_axis = _box_hits(origin, dirs, lo, lo + size)
        closer = t_box < depth
        depth = np.where(closer, t_box, depth)
        axis = np.where(closer, face_axis, axis)
        surface = np.where(closer, 6 + b, surface)

    points = dirs * depth[..., None]
    light = np.array([rng.uniform(-left, right) * 0.5, cam_h - ceil_h + 0.2, rng.uniform(1.0, back)])
    to_light = light - points
    dist = np.linalg.norm(to_light, axis=-1)
    normal_sign = -np.sign(np.take_along_axis(dirs, axis[..., None], -1)[..., 0])
    lambert = np.abs(np.take_along_axis(to_light, axis[..., None], -1)[..., 0]) / np.maximum(dist, 1e-6)
    lambert *= normal_sign != 0
    shade = rng.uniform(0.15, 0.35) + rng.uniform(1.5, 4.0) * lambert / (1 + 0.15 * dist**2)

    rgb = np.zeros((height, width, 3))
    for s in range(6 + n_boxes):
        mask = surface == s
        if not mask.any():
            continue
        p = points[mask]
        ax = axis[mask]
        # Texture coordinates: the two world axes spanning the hit face.
        uc = np.where(ax == 0, p[:, 2], p[:, 0])
        vc = np.where(ax == 1, p[:, 2], p[:, 1])
        colour = rng.uniform(0.25, 0.95, size=3)
        rgb[mask] = colour * _texture(uc, vc, rng)[:, None]
    rgb = rgb * shade[..., None] + rng.normal(0, 0.01, size=rgb.shape)
    rgb8 = np.clip(rgb * 255, 0, 255).round().astype(np.uint8)
    return rgb8, np.clip(depth, MIN_DEPTH_M, MAX_DEPTH_M).astype(np.float32)


def render_scenes(
    count: int, height: int = 96, width: int = 128, seed: int = 0, start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Scenes start..start+count-1 stacked: (rgb uint8 N x H x W x 3, depth float32 N x H x W, m)."""
    if count < 1:
        raise MBMError(f"scene count {count} is invalid: allowed 1 or more")
    pairs = [render_scene(start + i, height, width, seed) for i in range(count)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
