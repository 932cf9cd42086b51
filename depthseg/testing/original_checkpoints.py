"""Checkpoints in the originals' pickled formats, for converter and loader
tests."""
import sys
import types

import torch


def save_with_yacs_config(path, **entries) -> None:
    """``torch.save(entries, path)`` where every dict in ``entries['config']``
    is pickled as a yacs ``CfgNode`` (a dict subclass with private state, as
    packnet-sfm's released ``.ckpt`` files), without yacs installed: a
    stand-in module exists only while saving."""
    yacs = types.ModuleType('yacs')
    yacs.config = types.ModuleType('yacs.config')

    class CfgNode(dict):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.__dict__['__immutable__'] = True

    CfgNode.__module__, CfgNode.__qualname__ = 'yacs.config', 'CfgNode'
    yacs.config.CfgNode = CfgNode

    def node(value):
        if isinstance(value, dict):
            return CfgNode({k: node(v) for k, v in value.items()})
        return value

    sys.modules.update({'yacs': yacs, 'yacs.config': yacs.config})
    try:
        torch.save(dict(entries, config=node(entries.get('config', {}))),
                   path)
    finally:
        del sys.modules['yacs'], sys.modules['yacs.config']
