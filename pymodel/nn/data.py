"""Test-set loaders: DenseDepth's nyu_test.zip, the official labeled .mat, synthetic scenes.

* nyu_test.zip (DenseDepth, Eigen test split, 654 images): members at the zip root
  ``eigen_test_rgb.npy`` (uint8 N x 480 x 640 x 3), ``eigen_test_depth.npy`` (float32
  N x 480 x 640, metres) and ``eigen_test_crop.npy`` (int, [20, 459, 24, 615]). The zip or a
  directory holding the three files is accepted.
* nyu_depth_v2_labeled.mat (official, MATLAB v7.3 = HDF5, 1449 images): ``images`` stored as
  N x 3 x 640 x 480 uint8 and ``depths`` as N x 640 x 480 float32 metres (MATLAB's column-major
  order seen through h5py), transposed here to N x 480 x 640 (x 3). The Eigen test indices live
  in a separate splits.mat; pass ``indices`` to select them (0-based), default all images.
* ``synthetic``: procedural scenes of :mod:`pymodel.nn.scenes` (the bundled SYNTHETIC default).

Every loader returns a :class:`DepthSet`; a wrong or incomplete file raises MBMError.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pymodel.core.errors import MBMError
from pymodel.nn.metrics import crop_slices, eigen_crop
from pymodel.nn.scenes import DEFAULT_HW, render_scenes

if TYPE_CHECKING:
    pass

NYU_ZIP_MEMBERS = ("eigen_test_rgb.npy", "eigen_test_depth.npy", "eigen_test_crop.npy")
#: Test scenes use their own seed so they never overlap the training scenes (seed 0).
SYNTHETIC_TEST_SEED = 1


@dataclass
class DepthSet:
    """rgb uint8 N x H x W x 3, depth float32 N x H x W (metres), the crop to score, provenance."""

    rgb: np.ndarray
    depth: np.ndarray
    crop: tuple[slice, slice]
    source: str
    synthetic: bool = False

    def __post_init__(self) -> None:
        if self.rgb.ndim != 4 or self.rgb.shape[-1] != 3 or self.rgb.shape[:3] != self.depth.shape:
            raise MBMError(
                f"{self.source}: rgb {self.rgb.shape} and depth {self.depth.shape} do not pair: "
                "need N x H x W x 3 and N x H x W"
            )
        if self.rgb.dtype != np.uint8:
            raise MBMError(f"{self.source}: rgb dtype {self.rgb.dtype} is not allowed: need uint8 0..255")

    def __len__(self) -> int:
        return len(self.rgb)


def _npy(raw: bytes, name: str, source: str) -> np.ndarray:
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as err:
        raise MBMError(f"{source}: member {name} is not a .npy array ({err})") from None


def load_nyu_test(path: str | Path, count: int | None = None) -> DepthSet:
    """DenseDepth's nyu_test.zip (or a directory with its three .npy files)."""
    path = Path(path)
    if path.is_dir():
        missing = [m for m in NYU_ZIP_MEMBERS if not (path / m).is_file()]
        if missing:
            raise MBMError(f"{path}: missing {', '.join(missing)}: need {', '.join(NYU_ZIP_MEMBERS)}")
        rgb = np.load(path / NYU_ZIP_MEMBERS[0], mmap_mode="r")
        depth = np.load(path / NYU_ZIP_MEMBERS[1], mmap_mode="r")
        crop = np.load(path / NYU_ZIP_MEMBERS[2])
    else:
        if not zipfile.is_zipfile(path):
            raise MBMError(f"{path} is not a zip file: need DenseDepth's nyu_test.zip or its unpacked folder")
        with zipfile.ZipFile(path) as zf:
            names = {Path(n).name: n for n in zf.namelist()}
            missing = [m for m in NYU_ZIP_MEMBERS if m not in names]
            if missing:
                raise MBMError(f"{path}: missing {', '.join(missing)}: need {', '.join(NYU_ZIP_MEMBERS)}")
            rgb, depth, crop = (_npy(zf.read(names[m]), m, str(path)) for m in NYU_ZIP_MEMBERS)
    n = len(rgb) if count is None else min(count, len(rgb))
    crop = np.asarray(crop).ravel()
    if crop.size != 4:
        raise MBMError(f"{path}: eigen_test_crop.npy holds {crop.size} values: need 4 (top, bottom, left, right)")
    # np.array copies: only the n images asked for leave the (memory-mapped) file.
    return DepthSet(np.array(rgb[:n]), np.array(depth[:n], np.float32), crop_slices(crop), str(path))


def load_nyu_labeled(path: str | Path, count: int | None = None, indices: list[int] | None = None) -> DepthSet:
    """The official nyu_depth_v2_labeled.mat (HDF5); ``indices`` picks images (0-based)."""
    import h5py

    path = Path(path)
    if not path.is_file() or not h5py.is_hdf5(path):
        raise MBMError(f"{path} is not an HDF5 file: need nyu_depth_v2_labeled.mat (MATLAB v7.3)")
    with h5py.File(path, "r") as f:
        missing = [k for k in ("images", "depths") if k not in f]
        if missing:
            raise MBMError(f"{path}: missing dataset {', '.join(missing)}: need 'images' and 'depths'")
        total = f["images"].shape[0]
        picked = list(range(total)) if indices is None else list(indices)
        if any(not 0 <= i < total for i in picked):
            raise MBMError(f"{path}: image index out of range: allowed 0..{total - 1}")
        picked = picked[:count] if count is not None else picked
        uniq, inverse = np.unique(picked, return_inverse=True)  # h5py reads increasing indices only
        rgb = f["images"][uniq.tolist()][inverse]
        depth = f["depths"][uniq.tolist()][inverse]
    if rgb.ndim != 4 or rgb.shape[1] != 3:
        raise MBMError(f"{path}: 'images' has shape {rgb.shape}: need N x 3 x W x H")
    rgb = np.ascontiguousarray(rgb.transpose(0, 3, 2, 1)).astype(np.uint8)
    depth = np.ascontiguousarray(depth.transpose(0, 2, 1)).astype(np.float32)
    return DepthSet(rgb, depth, eigen_crop(*depth.shape[1:]), str(path))


def synthetic_testset(count: int = 8, height: int = DEFAULT_HW[0], width: int = DEFAULT_HW[1]) -> DepthSet:
    """Procedural test scenes (seed SYNTHETIC_TEST_SEED): the SYNTHETIC default data."""
    rgb, depth = render_scenes(count, height, width, seed=SYNTHETIC_TEST_SEED)
    return DepthSet(rgb, depth, eigen_crop(height, width), f"synthetic scenes (seed {SYNTHETIC_TEST_SEED})", True)


def load_dataset(path: str | Path | None, count: int | None = None) -> DepthSet:
    """Pick the loader by path: None -> synthetic; .mat -> labeled; .zip or directory -> nyu_test.

    count: the first ``count`` images (all when None; at least 1)."""
    if count is not None and count < 1:
        raise MBMError(f"image count {count} is invalid: allowed 1 or more")
    if path is None:
        return synthetic_testset(count or 8)
    path = Path(path)
    if not path.exists():
        raise MBMError(f"data path {str(path)!r} does not exist: pass nyu_test.zip, its folder, or the labeled .mat")
    if path.suffix.lower() == ".mat":
        return load_nyu_labeled(path, count)
    return load_nyu_test(path, count)
