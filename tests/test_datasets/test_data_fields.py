"""A new method's data fields go through the generic data path by their
declared kinds (depthseg.structures.fields): flip, pack and batch with no
change to any generic module."""
import numpy as np
import pytest
import torch
from mmcv.transforms import BaseTransform
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from PIL import Image

from depthseg.models.data_preprocessor import DepthDataPreprocessor
from depthseg.registry import TRANSFORMS
from depthseg.structures.fields import (
    FieldKind,
    declare_fields,
    field_kind,
)

H, W = 8, 12
COUNTS = (2, 0, 1)


def toy_maps(i, n):
    rng = np.random.default_rng(i)
    sky = rng.random((H, W)) > 0.5
    blobs = rng.random((n, H, W)) > 0.7
    return sky, blobs, np.float32(1 + np.arange(n) + 10 * i)


@TRANSFORMS.register_module(force=True)
class _ToyLoadBlobs(BaseTransform):
    """A method's loader: a pixel map, instances and their values."""
    adds = dict(
        sky=('pixel', 'nearest'),
        blobs=dict(kind='instances', count_key='n_blobs',
                   index_key='blob_idx'),
        blob_sizes=dict(kind='instance_values', of='blobs',
                        batch_key='blob_sizes_flat'),
        exposure='scalar')

    def __init__(self, size=(H, W)):
        self.size = tuple(size)

    def transform(self, results):
        i = results['sample_idx']
        sky, blobs, sizes = toy_maps(i, COUNTS[i])
        if self.size != (H, W):
            sky = np.zeros(self.size, bool)
        results.update(sky=sky, blobs=blobs, blob_sizes=sizes,
                       exposure=0.5 * i, undeclared=np.ones(3))
        return declare_fields(results, self.adds, source=self)


def pipeline(flip, **toy):
    cfgs = [dict(type='_ToyLoadBlobs', **toy),
            dict(type='RandomFlip', prob=float(flip)),
            dict(type='ResizePyramid', height=H, width=W, num_scales=2),
            dict(type='ColorJitter', prob=0.0),
            dict(type='PackDepthInputs')]
    with DefaultScope.overwrite_default_scope('depthseg'):
        transforms = [TRANSFORMS.build(c) for c in cfgs]

    def run(i):
        rng = np.random.default_rng(100 + i)
        results = dict(
            imgs={f: Image.fromarray(rng.integers(0, 255, (H, W, 3),
                                                  np.uint8))
                  for f in (0, -1)},
            K=np.eye(4, dtype=np.float32), sample_idx=i, frame_ids=[0, -1])
        for t in transforms:
            results = t(results)
        return results

    return run


@pytest.mark.parametrize('flip', [False, True])
def test_toy_fields_flip_pack_batch(flip):
    run = pipeline(flip)
    items = [run(i) for i in range(3)]
    ref = [toy_maps(i, n) for i, n in enumerate(COUNTS)]
    if flip:
        ref = [(s[:, ::-1], b[..., ::-1], v) for s, b, v in ref]

    packed = items[0]['inputs']
    assert set(packed) == {'color', 'color_aug', 'sky', 'blobs',
                           'blob_sizes', 'field_kinds'}  # not 'undeclared'
    assert packed['sky'].dtype == torch.bool and packed['sky'].shape == (H,
                                                                         W)
    assert packed['blobs'].shape == (2, H, W)
    assert items[1]['inputs']['blobs'].shape == (0, H, W)
    assert items[2]['data_samples'].exposure == 1.0
    assert packed['field_kinds']['sky'] == FieldKind(
        'pixel', 'nearest', source='_ToyLoadBlobs')

    out = DepthDataPreprocessor()(pseudo_collate(items), True)['inputs']
    assert 'field_kinds' not in out
    assert out['sky'].dtype == torch.bool and out['sky'].shape == (3, H, W)
    np.testing.assert_array_equal(out['sky'].numpy(),
                                  np.stack([s for s, _, _ in ref]))
    assert out['blobs'].dtype == torch.bool
    assert out['blobs'].shape == (sum(COUNTS), H, W)
    np.testing.assert_array_equal(out['blobs'].numpy(),
                                  np.concatenate([b for _, b, _ in ref]))
    assert out['n_blobs'].dtype == torch.int64
    assert out['n_blobs'].tolist() == list(COUNTS)
    assert out['blob_idx'].tolist() == [0, 0, 2]
    assert out['blob_sizes_flat'].dtype == torch.float32
    assert out['blob_sizes_flat'].tolist() == [1, 2, 21]
    assert out['exposure'].dtype == torch.float32
    assert out['exposure'].tolist() == [0, 0.5, 1]
    assert out['color'][0][1].shape == (3, 3, H // 2, W // 2)


def test_toy_field_errors():
    with pytest.raises(ValueError, match='_ToyLoadBlobs the height'):
        pipeline(False, size=(H // 2, W // 2))(0)
    run = pipeline(False)
    item = run(0)
    item['inputs']['blobs'] = item['inputs']['blobs'][:1]  # 1 mask, 2 sizes
    with pytest.raises(ValueError, match="'blob_sizes'"):
        DepthDataPreprocessor()(pseudo_collate([item]), True)


def test_field_kind_specs():
    assert field_kind('array') == FieldKind('array')
    assert field_kind(('pixel', 'area')).resize == 'area'
    assert field_kind(dict(kind='instance_values', of='x')).of == 'x'
    with pytest.raises(ValueError, match='unknown field kind'):
        field_kind('mask')
    with pytest.raises(ValueError, match="'of'"):
        field_kind('instance_values')
    results = declare_fields({}, dict(a='array'), source='T')
    declare_fields(results, dict(b='pixel'))
    assert {k: (v.kind, v.source) for k, v in results['field_kinds'].items()
            } == {'a': ('array', 'T'), 'b': ('pixel', None)}
