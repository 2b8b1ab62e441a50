import numpy as np
import pytest
import torch

import netvis
from netvis import config


def test_validation_images_have_documented_shapes(imagenet):
    X, y, class_names = imagenet
    assert X.shape == (25, 224, 224, 3) and X.dtype == np.uint8
    assert y.shape == (25,) and y.dtype == np.int64
    assert len(class_names) == 1000


def test_class_names_are_torchvisions_full_list():
    names = netvis.imagenet_class_names()
    assert len(names) == 1000
    assert names[76] == "tarantula"
    assert (names[134], names[517]) == ("crane bird", "crane")  # the npz's label_map merges these two


def test_num_limits_the_images():
    X, y, _ = netvis.load_imagenet_val(num=3)
    assert X.shape[0] == y.shape[0] == 3


@pytest.mark.parametrize("num", [0, -1, 2.5, "3"])
def test_bad_num_is_rejected(num):
    with pytest.raises(ValueError, match="positive integer"):
        netvis.load_imagenet_val(num=num)


def test_missing_data_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("NETVIS_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="get_datasets.sh"):
        netvis.load_imagenet_val()
    with pytest.raises(FileNotFoundError, match="get_datasets.sh"):
        netvis.load_pretrained_squeezenet()


def test_damaged_weights_are_refused(tmp_path, monkeypatch):
    good = netvis.find_squeezenet_weights()
    damaged = tmp_path / good.name
    damaged.write_bytes(good.read_bytes()[:-10])
    monkeypatch.setenv("NETVIS_DATA_DIR", str(tmp_path))
    with pytest.raises(OSError, match="damaged"):
        netvis.load_pretrained_squeezenet()


def test_either_weights_file_is_found(tmp_path):
    for name in ["squeezenet1_1_fp16-b1feefe5.pth", "squeezenet1_1-b8a52dc0.pth"]:
        (tmp_path / name).write_bytes(b"")
        assert netvis.find_squeezenet_weights(tmp_path).name == name  # torchvision's file wins once present


def test_model_is_frozen_eval_and_on_the_cpu(squeezenet):
    assert not squeezenet.training
    assert not any(p.requires_grad for p in squeezenet.parameters())
    assert next(squeezenet.parameters()).device.type == "cpu"


def test_pretrained_model_gets_13_of_25_right(imagenet, squeezenet):
    X, y, _ = imagenet
    with torch.no_grad():
        predicted = squeezenet(netvis.preprocess(X)).argmax(dim=1)
    assert int((predicted == torch.from_numpy(y)).sum()) == 13


def test_setup_check_prints_accuracy_and_saves_figure(tmp_path, capsys):
    from netvis.__main__ import main

    main(["--device", "cpu", "--figure", str(tmp_path / "grid.png")])
    assert "top-1 13/25" in capsys.readouterr().out
    assert (tmp_path / "grid.png").stat().st_size > 10_000


def test_data_dir_defaults_to_the_kit_datasets_folder(monkeypatch):
    monkeypatch.delenv("NETVIS_DATA_DIR", raising=False)
    assert config.data_dir() == config.KIT_ROOT / "datasets"
    assert (config.KIT_ROOT / "get_datasets.sh").is_file()


def test_the_package_imports_its_helpers_on_first_use():
    """``import netvis.config`` (what the grader's process needs) loads neither torch nor matplotlib;
    every public name and submodule is still there as an attribute."""
    import subprocess
    import sys

    probe = ("import sys, netvis.config; print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules)); "
             "from netvis import show_images, jitter, ScoresOnly; import netvis; "
             "print(callable(netvis.load_pretrained_squeezenet), netvis.config.data_dir is not None, "
             "set(netvis.__all__) <= set(dir(netvis)), 'matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "True True True True"], done.stdout + done.stderr
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        netvis.nope
