import os.path as osp

from mmengine.config import Config
from mmengine.registry import HOOKS, VISBACKENDS, init_default_scope

from depthseg.engine.hooks import (AtomicCheckpointHook, CheckpointCheckHook,
                                   DepthVisualizationHook, NonFiniteCheckHook,
                                   RNGStateHook)

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_',
    'default_runtime.py')


def test_default_runtime_builds():
    cfg = Config.fromfile(CONFIG)
    assert cfg.default_scope == 'depthseg'
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert cfg.log_processor.by_epoch
    assert cfg.randomness == dict(seed=0, deterministic=False)
    assert cfg.load_from is None and cfg.resume is False

    init_default_scope(cfg.default_scope)
    hooks = {key: HOOKS.build(hook) for key, hook in cfg.default_hooks.items()}
    assert isinstance(hooks['checkpoint'], AtomicCheckpointHook)
    assert hooks['checkpoint'].backend_args == dict(backend='atomic_local')
    assert hooks['checkpoint'].by_epoch and hooks['checkpoint'].interval == 1
    assert hooks['logger'].log_metric_by_epoch
    assert isinstance(hooks['nonfinite'], NonFiniteCheckHook)
    assert hooks['nonfinite'].mode == 'stop'
    assert hooks['nonfinite'].max_consecutive_skips == 10
    assert isinstance(hooks['rng_state'], RNGStateHook)
    assert isinstance(hooks['checkpoint_check'], CheckpointCheckHook)
    assert isinstance(hooks['visualization'], DepthVisualizationHook)
    assert cfg.custom_hooks == [] and cfg.runner_type == 'DepthRunner'
    for backend in cfg.visualizer.vis_backends:
        assert VISBACKENDS.get(backend['type']) is not None
