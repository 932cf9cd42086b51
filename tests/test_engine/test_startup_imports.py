"""Start-up cost: registering every module and building a model and a test
pipeline must not import torchvision (~1.5 s, which pulls in torch._dynamo);
only the colour jitter of training pipelines needs it."""
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CODE = '''
import sys
from mmengine.config import Config
from mmcv.transforms import Compose
from depthseg.registry import MODELS
from depthseg.utils import register_all_modules
register_all_modules()
cfg = Config.fromfile('configs/fumet/fumet_r18_synthroad.py')
MODELS.build(cfg.model)
Compose(cfg.test_pipeline)
assert 'torchvision' not in sys.modules, 'torchvision was imported'
Compose(cfg.train_pipeline)
assert 'torchvision' in sys.modules, 'ColorJitter did not import it'
print('ok')
'''


def test_model_and_test_pipeline_do_not_import_torchvision():
    proc = subprocess.run([sys.executable, '-c', CODE], capture_output=True,
                          text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == 'ok'
