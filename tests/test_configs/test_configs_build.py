"""Every config under configs/ loads and builds its model."""
from pathlib import Path

import pytest
from mmengine.config import Config

from depthseg.registry import MODELS
from depthseg.utils import disable_pretrained, register_all_modules

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)

register_all_modules()


def test_configs_found():
    assert len(CONFIGS) >= 4, CONFIGS


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'depthseg'
    disable_pretrained(cfg.model)
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    dataset = cfg.train_dataloader.dataset
    if dataset.type == 'SynthRoadDataset':
        return  # its split files are written with the data on first use
    assert Path(dataset.ann_file).is_file(), \
        f'{path.name}: split file {dataset.ann_file} is missing'
