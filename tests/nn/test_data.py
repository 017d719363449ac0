"""Loaders on small files written in the exact DenseDepth zip and official .mat layouts."""

from __future__ import annotations

import io
import zipfile

import h5py
import numpy as np
import pytest

from pymodel.core.errors import MBMError
from pymodel.nn.data import NYU_ZIP_MEMBERS, load_dataset, load_nyu_labeled, load_nyu_test
from pymodel.nn.predict import images_to_tensor


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


@pytest.fixture()
def nyu_arrays():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (2, 480, 640, 3), dtype=np.uint8)
    depth = rng.uniform(0.7, 9.9, (2, 480, 640)).astype(np.float32)
    return rgb, depth, np.array([20, 459, 24, 615])


def test_nyu_test_zip_and_folder(tmp_path, nyu_arrays):
    path = tmp_path / "nyu_test.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, arr in zip(NYU_ZIP_MEMBERS, nyu_arrays):
            zf.writestr(name, _npy_bytes(arr))
    ds = load_dataset(path)
    assert np.array_equal(ds.rgb, nyu_arrays[0]) and np.array_equal(ds.depth, nyu_arrays[1])
    assert ds.crop == (slice(20, 460), slice(24, 616)) and not ds.synthetic
    assert len(load_nyu_test(path, count=1)) == 1
    folder = tmp_path / "unpacked"
    folder.mkdir()
    for name, arr in zip(NYU_ZIP_MEMBERS, nyu_arrays):
        np.save(folder / name, arr)
    assert np.array_equal(load_dataset(folder).depth, nyu_arrays[1])


def test_nyu_test_errors(tmp_path, nyu_arrays):
    path = tmp_path / "partial.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(NYU_ZIP_MEMBERS[0], _npy_bytes(nyu_arrays[0]))
    with pytest.raises(MBMError, match="missing eigen_test_depth.npy, eigen_test_crop.npy"):
        load_nyu_test(path)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(MBMError, match="not a zip file"):
        load_dataset(text)
    with pytest.raises(MBMError, match="does not exist"):
        load_dataset(tmp_path / "nope.zip")
    swapped = tmp_path / "swapped.zip"
    with zipfile.ZipFile(swapped, "w") as zf:
        zf.writestr(NYU_ZIP_MEMBERS[0], _npy_bytes(nyu_arrays[1]))  # depth where rgb belongs
        zf.writestr(NYU_ZIP_MEMBERS[1], _npy_bytes(nyu_arrays[1]))
        zf.writestr(NYU_ZIP_MEMBERS[2], _npy_bytes(nyu_arrays[2]))
    with pytest.raises(MBMError, match="do not pair"):
        load_nyu_test(swapped)


def test_labeled_mat_layout(tmp_path):
    """MATLAB v7.3 stores images as N x 3 x W x H; pixel (row 7, col 5) must come back there."""
    images = np.zeros((3, 3, 640, 480), np.uint8)
    depths = np.ones((3, 640, 480), np.float32)
    images[1, 2, 5, 7] = 200
    depths[1, 5, 7] = 4.5
    path = tmp_path / "nyu_depth_v2_labeled.mat"
    with h5py.File(path, "w") as f:
        f["images"] = images
        f["depths"] = depths
    ds = load_dataset(path)
    assert ds.rgb.shape == (3, 480, 640, 3) and ds.depth.shape == (3, 480, 640)
    assert ds.rgb[1, 7, 5, 2] == 200 and ds.depth[1, 7, 5] == 4.5
    assert ds.crop == (slice(20, 460), slice(24, 616))
    picked = load_nyu_labeled(path, indices=[2, 1])
    assert picked.rgb[1, 7, 5, 2] == 200 and picked.rgb[0].max() == 0
    with pytest.raises(MBMError, match="index out of range"):
        load_nyu_labeled(path, indices=[3])


def test_labeled_mat_errors(tmp_path):
    not_hdf5 = tmp_path / "old.mat"
    not_hdf5.write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    with pytest.raises(MBMError, match="not an HDF5 file"):
        load_dataset(not_hdf5)
    wrong = tmp_path / "wrong.mat"
    with h5py.File(wrong, "w") as f:
        f["images"] = np.zeros((1, 3, 8, 8), np.uint8)
    with pytest.raises(MBMError, match="missing dataset depths"):
        load_dataset(wrong)


def test_synthetic_default_and_tensor():
    ds = load_dataset(None, 2)
    assert ds.synthetic and len(ds) == 2 and "synthetic" in ds.source
    x = images_to_tensor(ds.rgb)
    assert x.shape == (2, 3, 96, 128) and float(x.max()) <= 1.0
    with pytest.raises(MBMError, match="image count"):
        load_dataset(None, 0)
