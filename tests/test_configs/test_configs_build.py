"""Every config under configs/ loads and builds its model, with no weight
file present and nothing read or downloaded: pretrained weights
(ImageNet, the FeatDepth autoencoder) load in ``init_weights``
(``Runner.train``), never at construction."""
import re
import urllib.request
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from depthseg.registry import MODELS
from depthseg.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)
#: configs whose model needs a trained autoencoder file (FeatDepth)
AUTOENCODER_CONFIGS = [
    ROOT / 'configs/featdepth/featdepth_r50_kitti.py',
    ROOT / 'configs/mixed/fumet_featdepth_bdedepth_r50_kitti.py',
]

register_all_modules()


@pytest.fixture
def no_weight_reads(monkeypatch, tmp_path):
    """Run in an empty directory (relative weight paths such as
    ``checkpoints/…`` and ``work_dirs/…`` do not exist) with an empty torch
    hub cache; every checkpoint read or download is recorded and refused.
    Yields the list of attempts."""
    attempts = []

    def refuse(what):
        def fn(*args, **kwargs):
            attempts.append((what, args[:1]))
            raise AssertionError(f'{what}{args[:1]} while building a model')
        return fn

    monkeypatch.setattr(torch, 'load', refuse('torch.load'))
    monkeypatch.setattr(torch.hub, 'download_url_to_file',
                        refuse('torch.hub.download_url_to_file'))
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url',
                        refuse('torch.hub.load_state_dict_from_url'))
    monkeypatch.setattr(urllib.request, 'urlopen',
                        refuse('urllib.request.urlopen'))
    hub = tmp_path / 'torch_hub'
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(hub))
    work = tmp_path / 'cwd'
    work.mkdir()
    monkeypatch.chdir(work)
    yield attempts


def _null_pretrained(node) -> None:
    """Set every string ``pretrained`` below ``node`` to None (ImageNet
    weights), keeping ``checkpoint`` entries."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'pretrained' and isinstance(value, str):
                node[key] = None
            else:
                _null_pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _null_pretrained(value)


def test_configs_found():
    """The parametrisation below covers every method folder: each folder
    under configs/ (but _base_) holds configs, and configs sit only there;
    every folder the README's method table links is one of them."""
    folders = {p for p in (ROOT / 'configs').iterdir()
               if p.is_dir() and p.name != '_base_'}
    assert {p.parent for p in CONFIGS} == folders, CONFIGS
    readme = (ROOT / 'README.md').read_text()
    linked = set(re.findall(r'\(configs/(\w+)/README\.md\)', readme))
    assert linked and {ROOT / 'configs' / m for m in linked} <= folders
    for path in AUTOENCODER_CONFIGS:
        assert path in CONFIGS


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_config_builds(path, no_weight_reads):
    """The model of the config as written (its ``pretrained`` and
    ``checkpoint`` entries kept) builds and prints with no weight file
    present, and nothing is read or downloaded."""
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'depthseg'
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    assert type(model).__name__ in repr(model)
    assert no_weight_reads == []
    dataset = cfg.train_dataloader.dataset
    while dataset.type == 'RepeatDataset':  # e.g. packnet01_kitti.py
        dataset = dataset.dataset
    if dataset.type in ('SynthRoadDataset', 'DDADDataset',
                        'VideoFramesDataset', 'NYUv2TrainDataset'):
        # synthetic: split files written with the data on first use;
        # DDAD: the dataset json (ddad.json) comes with the data;
        # your own video (configs/custom): no split file; NYUv2:
        # StructDepth's training list is not shipped (configs/bdedepth/
        # README.md)
        return
    assert (ROOT / dataset.ann_file).is_file(), \
        f'{path.name}: split file {dataset.ann_file} is missing'


@pytest.mark.parametrize('path', AUTOENCODER_CONFIGS, ids=lambda p: p.stem)
def test_autoencoder_config_with_converted_checkpoint(path, tmp_path,
                                                      no_weight_reads):
    """A FeatDepth config without its autoencoder file builds, loads a
    trained (e.g. converted) checkpoint, which holds the autoencoder, and
    only ``init_weights`` (training) needs the file: a FileNotFoundError
    naming it."""
    cfg = Config.fromfile(path)
    checkpoints = [loss['checkpoint'] for loss in (
        cfg.model.losses.values() if isinstance(cfg.model.losses, dict)
        else cfg.model.losses) if loss.get('checkpoint')]
    assert checkpoints and not Path(checkpoints[0]).exists()
    trained = MODELS.build(cfg.model).state_dict()
    model = MODELS.build(cfg.model)
    model.load_state_dict(trained)
    assert no_weight_reads == []

    _null_pretrained(cfg.model)  # no ImageNet download before the loss
    model = MODELS.build(cfg.model)
    with pytest.raises(FileNotFoundError) as err:
        model.init_weights()
    assert checkpoints[0] in str(err.value)
    assert no_weight_reads == []
