"""End to end: pose evaluation of a checkpoint on a tiny KITTI odometry
tree."""
import os
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config

from depthseg.registry import MODELS
from depthseg.testing.kitti_tree import make_kitti_odom_tree
from depthseg.utils import disable_pretrained, register_all_modules

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti_odom.py'


def test_odometry_ate_through_tools_test(tmp_path):
    tree = make_kitti_odom_tree(str(tmp_path / 'odom'), sequences=(9, 10),
                                num_frames=8, size=(64, 192))
    options = []
    for i, seq in enumerate((9, 10)):
        split = tmp_path / f'test_files_{seq:02d}.txt'
        # frame 7 has no successor: the original lists stop one frame early
        split.write_text(''.join(f'{seq} {f} l\n' for f in range(7)))
        prefix = f'test_dataloader.dataset.datasets.{i}.'
        options += [prefix + f'data_root={tree["root"]}',
                    prefix + f'ann_file={split}']
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    disable_pretrained(cfg.model)
    torch.manual_seed(0)
    ckpt = tmp_path / 'random.pth'
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), ckpt)
    options += ['test_dataloader.num_workers=0',
                'test_dataloader.dataset.datasets.0.pipeline.1.height=64',
                'test_dataloader.dataset.datasets.0.pipeline.1.width=192',
                'test_dataloader.dataset.datasets.1.pipeline.1.height=64',
                'test_dataloader.dataset.datasets.1.pipeline.1.width=192']
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'tools' / 'test.py'), str(CONFIG),
         str(ckpt), '--work-dir', str(tmp_path / 'work'), '--cfg-options'] +
        options, cwd=tmp_path, env=dict(os.environ, OMP_NUM_THREADS='1'),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert 'pose/ate_09' in proc.stdout and 'pose/ate_10' in proc.stdout
