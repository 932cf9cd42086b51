"""FUMET car/road npz: loading, flips, errors, packing and batching."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from PIL import Image

from depthseg.datasets import (KITTI_K, LoadCarRoadMasks, PackDepthInputs,
                               RandomFlip, expand_segms, kitti_car_road_path)
from depthseg.datasets.synthetic import write_synthroad
from depthseg.models.data_preprocessor import DepthDataPreprocessor
from depthseg.registry import DATASETS
from depthseg.structures.fields import declare_fields
from depthseg.testing import load_fixture
from depthseg.testing.kitti_tree import make_kitti_raw_tree

H, W = 24, 40


def label_map(cars=((7, (2, 8, 3, 9)), (2, (10, 14, 20, 30)),
                    (5, (3, 6, 30, 36))), road=True):
    """Label map with boxes (top, bottom, left, right) per car label."""
    segms = np.zeros((H, W), np.uint8)
    if road:
        segms[16:] = 100
    for label, (top, bottom, left, right) in cars:
        segms[top:bottom, left:right] = label
    return segms


def save(path, segms, heights, **extra):
    os.makedirs(osp.dirname(str(path)), exist_ok=True)
    np.savez(str(path), segms=segms, heights=np.asarray(heights), **extra)
    return str(path)


def load(path, flip=None, **kwargs):
    results = dict(car_road_path=path)
    if flip is not None:
        results['flip'] = flip
    return LoadCarRoadMasks(height=H, width=W, **kwargs)(results)


def test_round_trip_ascending_labels(tmp_path):
    segms = label_map()
    # heights of labels 2, 5, 7 (ascending), stored as float64
    path = save(tmp_path / 'a.npz', segms.astype(np.int64), [1.4, 1.5, 1.6])
    out = load(path)
    assert out['road'].dtype == bool and out['road'].shape == (H, W)
    np.testing.assert_array_equal(out['road'], segms == 100)
    assert out['car_masks'].dtype == bool
    assert out['car_masks'].shape == (3, H, W)
    for k, label in enumerate((2, 5, 7)):
        np.testing.assert_array_equal(out['car_masks'][k], segms == label)
    assert out['car_heights'].dtype == np.float32
    np.testing.assert_array_equal(out['car_heights'],
                                  np.float32([1.4, 1.5, 1.6]))
    assert out['car_road_path'] == path


def test_no_road_means_no_cars(tmp_path):
    path = save(tmp_path / 'a.npz', label_map(road=False), [1.4, 1.5, 1.6])
    out = load(path)
    assert not out['road'].any()
    assert out['car_masks'].shape == (0, H, W)
    assert out['car_heights'].shape == (0, )
    # background only
    out = load(save(tmp_path / 'b.npz', np.zeros((H, W), np.uint8), []))
    assert not out['road'].any() and out['car_masks'].shape == (0, H, W)
    # road only
    out = load(save(tmp_path / 'c.npz', label_map(cars=()), []))
    assert out['road'].sum() == 8 * W and out['car_masks'].shape[0] == 0


def test_expand_segms_matches_original_layout():
    """[cars..., road] as the original's expand_segms."""
    segms = label_map()
    road, cars, heights, has_road = expand_segms(
        segms, np.float32([1, 2, 3]))
    assert has_road
    stacked = np.concatenate([cars, road[None]])
    ids = np.unique(segms)[1:]
    ref = np.stack([segms == i for i in ids[:-1]] + [segms == 100])
    np.testing.assert_array_equal(stacked, ref)


def test_min_area(tmp_path):
    path = save(tmp_path / 'a.npz', label_map(), [1.4, 1.5, 1.6])
    # areas: label 2 -> 40, 5 -> 18, 7 -> 36
    out = load(path, min_area=18)
    np.testing.assert_array_equal(out['car_heights'], np.float32([1.4, 1.6]))
    out = load(path, min_area=36)
    np.testing.assert_array_equal(out['car_heights'], np.float32([1.4]))
    np.testing.assert_array_equal(out['car_masks'][0], label_map() == 2)


@pytest.mark.parametrize('load_first', [True, False])
def test_flip_either_order(tmp_path, load_first):
    segms = label_map()
    path = save(tmp_path / 'a.npz', segms, [1.4, 1.5, 1.6])
    results = dict(car_road_path=path, imgs={0: Image.new('RGB', (W, H))})
    flip = RandomFlip(prob=1.0)
    loader = LoadCarRoadMasks(height=H, width=W)
    out = flip(loader(results)) if load_first else loader(flip(results))
    assert out['flip'] is True
    np.testing.assert_array_equal(out['road'], (segms == 100)[:, ::-1])
    for k, label in enumerate((2, 5, 7)):
        np.testing.assert_array_equal(out['car_masks'][k],
                                      (segms == label)[:, ::-1])
    np.testing.assert_array_equal(out['car_heights'],
                                  np.float32([1.4, 1.5, 1.6]))
    assert out['road'].flags.c_contiguous
    assert out['car_masks'].flags.c_contiguous
    # no flip: unchanged
    results = dict(car_road_path=path, imgs=results['imgs'])
    out = RandomFlip(prob=0.0)(loader(results))
    np.testing.assert_array_equal(out['road'], segms == 100)


def test_random_flip_mirrors_principal_point():
    K = np.array([[1.1, 0, 0.52, 0], [0, 3, 0.6, 0], [0, 0, 1, 0],
                  [0, 0, 0, 1]], np.float32)
    out = RandomFlip(prob=1.0)(dict(imgs={0: Image.new('RGB', (8, 4))},
                                    K=K.copy()))
    assert out['K'][0, 2] == np.float32(1) - np.float32(0.52)
    np.testing.assert_array_equal(np.delete(out['K'].ravel(), 2),
                                  np.delete(K.ravel(), 2))
    # the centred KITTI K is unchanged (Monodepth2 Q8)
    out = RandomFlip(prob=1.0)(dict(imgs={0: Image.new('RGB', (8, 4))},
                                    K=KITTI_K.copy()))
    np.testing.assert_array_equal(out['K'], KITTI_K)


def test_nearest_resize_npz_size(tmp_path):
    big = np.kron(label_map(), np.ones((2, 2), np.uint8))  # 48×80
    big[0::2, 0::2] = 0  # resize must sample centres (odd rows / columns)
    path = save(tmp_path / 'a.npz', big, [1.4, 1.5, 1.6])
    out = LoadCarRoadMasks(height=H, width=W, npz_size=(2 * H, 2 * W))(
        dict(car_road_path=path))
    ref = label_map()
    np.testing.assert_array_equal(out['road'], ref == 100)
    for k, label in enumerate((2, 5, 7)):
        np.testing.assert_array_equal(out['car_masks'][k], ref == label)
    # a car that vanishes at the training size is dropped with its height
    big = np.kron(label_map(), np.ones((2, 2), np.uint8))
    big[big == 5] = 0
    big[7, 61] = 5  # one pixel on an odd row and column: sampled, kept
    path = save(tmp_path / 'b.npz', big, [1.4, 1.5, 1.6])
    out = LoadCarRoadMasks(height=H, width=W, npz_size=(2 * H, 2 * W))(
        dict(car_road_path=path))
    np.testing.assert_array_equal(out['car_heights'],
                                  np.float32([1.4, 1.5, 1.6]))
    big[7, 61] = 0
    big[6, 60] = 5  # on an even row: not sampled -> dropped
    path = save(tmp_path / 'c.npz', big, [1.4, 1.5, 1.6])
    out = LoadCarRoadMasks(height=H, width=W, npz_size=(2 * H, 2 * W))(
        dict(car_road_path=path))
    np.testing.assert_array_equal(out['car_heights'], np.float32([1.4, 1.6]))


# ---- bad inputs ----
def test_heights_length_mismatch(tmp_path):
    path = save(tmp_path / 'a.npz', label_map(), [1.4, 1.5])
    with pytest.raises(ValueError, match='2 heights for 3 car labels') as e:
        load(path)
    assert path in str(e.value)
    # also without road: the file itself is inconsistent
    path = save(tmp_path / 'b.npz', label_map(road=False), [1.4])
    with pytest.raises(ValueError, match=r'b\.npz.*1 heights for 3'):
        load(path)


@pytest.mark.parametrize('label', [101, 150, 255, 300, -1])
def test_label_out_of_range(tmp_path, label):
    segms = label_map().astype(np.int32)
    segms[0, 0] = label
    path = save(tmp_path / 'a.npz', segms, [1.4, 1.5, 1.6])
    with pytest.raises(ValueError, match='must be < 100') as e:
        load(path)
    assert path in str(e.value)


def test_wrong_shape(tmp_path):
    path = save(tmp_path / 'a.npz', np.zeros((H, W + 1), np.uint8), [])
    with pytest.raises(ValueError) as e:
        load(path)
    msg = str(e.value)
    assert path in msg and f'{(H, W + 1)}' in msg and f'{(H, W)}' in msg
    path = save(tmp_path / 'b.npz', np.zeros((2, H, W), np.uint8), [])
    with pytest.raises(ValueError, match='2-D'):
        load(path)


def test_missing_unreadable_and_bad_keys(tmp_path):
    path = str(tmp_path / 'none.npz')
    with pytest.raises(FileNotFoundError, match='none.npz'):
        load(path)
    bad = tmp_path / 'bad.npz'
    bad.write_bytes(b'not a zip')
    with pytest.raises(OSError, match='bad.npz'):
        load(str(bad))
    path = str(tmp_path / 'keys.npz')
    np.savez(path, segm=label_map(), heights=np.zeros(3))
    with pytest.raises(ValueError, match=r"keys.npz.*missing key.*'segms'"):
        load(path)
    path = save(tmp_path / 'h.npz', label_map(), np.zeros((3, 1)))
    with pytest.raises(ValueError, match='heights must be 1-D'):
        load(path)
    segms = label_map().astype(np.float32)
    segms[0, 0] = 1.5
    path = save(tmp_path / 'f.npz', segms, [1, 2, 3])
    with pytest.raises(ValueError, match='non-integer'):
        load(path)
    with pytest.raises(KeyError, match='car_road_path'):
        LoadCarRoadMasks(height=H, width=W)(dict(line='x', line_no=1))


# ---- KITTI path rule, packing, batching ----
def test_kitti_path_rule():
    assert kitti_car_road_path(
        '/k', '2011_09_26/2011_09_26_drive_0022_sync', 2, 473,
        'heights_segms_with_road', (192, 640)) == (
            '/k/2011_09_26/2011_09_26_drive_0022_sync/'
            'heights_segms_with_road_640x192_02/0000000473.npz')


KH, KW = 48, 160
FOLDER = '2011_09_26/2011_09_26_drive_0001_sync'


def kitti_label_map(n_cars, seed):
    rng = np.random.default_rng(seed)
    segms = np.zeros((KH, KW), np.uint8)
    segms[32:] = 100
    labels = sorted(rng.choice(np.arange(1, 100), n_cars, replace=False))
    for k, label in enumerate(labels[::-1]):
        segms[10:20, 10 + 30 * k:30 + 30 * k] = label
    return segms, np.float32(1.4 + 0.1 * np.arange(n_cars))


@pytest.fixture
def kitti_fumet(tmp_path):
    tree = make_kitti_raw_tree(str(tmp_path / 'kitti'))
    # train lines: frames 1 r, 2 l, 3 r, 4 l -> cars 2, 0, 1, 3
    written = {}
    for (frame, cam), n in zip(((1, 3), (2, 2), (3, 3), (4, 2)),
                               (2, 0, 1, 3)):
        segms, heights = kitti_label_map(n, frame)
        save(kitti_car_road_path(tree['root'], FOLDER, cam, frame,
                                 'heights_segms_with_road', (KH, KW)),
             segms, heights)
        written[frame] = (segms, heights)
    return tree, written


def kitti_dataset(tree, pipeline):
    with DefaultScope.overwrite_default_scope('depthseg'):
        return DATASETS.build(dict(type='KittiRawDataset',
                                   data_root=tree['root'],
                                   ann_file=tree['train'],
                                   pipeline=pipeline))


def fumet_pipeline(height=KH, width=KW, **kwargs):
    return [
        dict(type='LoadFrames'),
        dict(type='LoadCarRoadMasks', height=height, width=width, **kwargs),
        dict(type='RandomFlip', prob=0.0),
        dict(type='ResizePyramid', height=height, width=width),
        dict(type='ColorJitter', prob=0.0),
        dict(type='PackDepthInputs'),
    ]


def test_batch_2_0_1_cars(kitti_fumet):
    tree, written = kitti_fumet
    ds = kitti_dataset(tree, fumet_pipeline())
    items = [ds[i] for i in range(3)]  # frames 1, 2, 3: 2, 0, 1 cars
    packed = items[0]['inputs']
    assert packed['road'].dtype == torch.bool
    assert packed['road'].shape == (KH, KW)
    assert packed['car_masks'].shape == (2, KH, KW)
    assert packed['car_heights'].dtype == torch.float32
    assert items[1]['inputs']['car_masks'].shape == (0, KH, KW)

    out = DepthDataPreprocessor()(pseudo_collate(items), True)['inputs']
    assert out['road'].dtype == torch.bool and out['road'].shape == (3, KH,
                                                                     KW)
    assert out['segms_flat'].dtype == torch.bool
    assert out['segms_flat'].shape == (3, KH, KW)
    assert out['heights_flat'].dtype == torch.float32
    assert out['n_inst'].dtype == torch.int64
    assert out['n_inst'].tolist() == [2, 0, 1]
    assert out['car_frame_idx'].dtype == torch.int64
    assert out['car_frame_idx'].tolist() == [0, 0, 2]
    assert 'cam_setting' not in out
    ref_masks, ref_heights, ref_road = [], [], []
    for frame in (1, 2, 3):
        segms, heights = written[frame]
        labels = [v for v in np.unique(segms) if 0 < v < 100]
        ref_masks += [segms == v for v in labels]
        ref_heights += list(heights)
        ref_road.append(segms == 100)
    np.testing.assert_array_equal(out['segms_flat'].numpy(),
                                  np.stack(ref_masks))
    np.testing.assert_array_equal(out['heights_flat'].numpy(),
                                  np.float32(ref_heights))
    np.testing.assert_array_equal(out['road'].numpy(), np.stack(ref_road))
    # the Monodepth2 keys are unchanged
    assert out['color'][0][0].shape == (3, 3, KH, KW)
    assert len(out['K']) == 4


def test_batch_without_cars_and_without_keys(kitti_fumet):
    tree, _ = kitti_fumet
    ds = kitti_dataset(tree, fumet_pipeline())
    out = DepthDataPreprocessor()(pseudo_collate([ds[1]]), True)['inputs']
    assert out['segms_flat'].shape == (0, KH, KW)
    assert out['heights_flat'].shape == (0, )
    assert out['n_inst'].tolist() == [0]
    assert out['car_frame_idx'].shape == (0, )
    # Monodepth2 pipelines: no FUMET keys at all
    plain = [p for p in fumet_pipeline() if p['type'] != 'LoadCarRoadMasks']
    ds = kitti_dataset(tree, plain)
    item = ds[0]
    assert set(item['inputs']) == {'color', 'color_aug'}
    out = DepthDataPreprocessor()(pseudo_collate([item, ds[1]]), True)
    assert not {'road', 'segms_flat', 'heights_flat', 'n_inst',
                'car_frame_idx', 'cam_setting'} & set(out['inputs'])


def test_kitti_missing_npz_names_file_and_line(kitti_fumet):
    tree, _ = kitti_fumet
    ds = kitti_dataset(tree, fumet_pipeline(height=KH, width=KW,
                                            segm_dirname='other'))
    with pytest.raises(FileNotFoundError) as e:
        ds[0]
    msg = str(e.value)
    assert f'other_{KW}x{KH}_03' in msg and 'line 1 of split file' in msg


def test_pack_rejects_size_mismatch(kitti_fumet):
    tree, _ = kitti_fumet
    pipeline = fumet_pipeline()
    pipeline[3] = dict(type='ResizePyramid', height=KH // 2, width=KW // 2)
    ds = kitti_dataset(tree, pipeline)
    with pytest.raises(ValueError, match='LoadCarRoadMasks the height'):
        ds[0]


def test_pack_fields():
    results = dict(color={0: [np.zeros((H, W, 3), np.uint8)]},
                   road=np.ones((H, W), bool),
                   car_masks=np.zeros((1, H, W), bool),
                   car_heights=np.float32([1.5]), cam_setting=1.18,
                   K=np.eye(4), field_kinds=dict(cam_setting='scalar'))
    # fields are packed by their declared kinds (LoadCarRoadMasks.adds)
    declare_fields(results, LoadCarRoadMasks.adds, source='LoadCarRoadMasks')
    out = PackDepthInputs()(results)
    assert out['inputs']['car_heights'].tolist() == [1.5]
    assert out['data_samples'].cam_setting == 1.18
    del results['car_heights']
    with pytest.raises(KeyError, match='car_heights'):
        PackDepthInputs()(results)


def test_fixture_batches_round_trip(tmp_path):
    """The batches of fumet.npz (road, segms_flat, heights_flat, n_inst)
    written as npz label maps come back identical through the loader, the
    packer and the data preprocessor."""
    for prefix in ('compute_losses_e2e', 'outlier_filter'):
        ins, _ = load_fixture('fumet', prefix)
        road, segms = ins['road'], ins['segms_flat']
        heights, n_inst = ins['heights_flat'], ins['n_inst']
        b, h, w = road.shape
        frame_of = np.repeat(np.arange(b), n_inst)
        items = []
        for i in range(b):
            labels = np.zeros((h, w), np.uint8)
            labels[road[i]] = 100
            cars = np.nonzero(frame_of == i)[0]
            for k, car in enumerate(cars):
                labels[segms[car]] = 3 * k + 4  # ascending = fixture order
            path = save(tmp_path / prefix / f'{i}.npz', labels,
                        heights[cars])
            results = LoadCarRoadMasks(height=h, width=w)(
                dict(car_road_path=path))
            results['color'] = {0: [np.zeros((h, w, 3), np.uint8)]}
            results['K'] = np.eye(4, dtype=np.float32)
            items.append(PackDepthInputs()(results))
        out = DepthDataPreprocessor()(pseudo_collate(items))['inputs']
        np.testing.assert_array_equal(out['road'].numpy(), road)
        np.testing.assert_array_equal(out['segms_flat'].numpy(), segms)
        np.testing.assert_array_equal(out['heights_flat'].numpy(), heights)
        np.testing.assert_array_equal(out['n_inst'].numpy(), n_inst)
        np.testing.assert_array_equal(out['car_frame_idx'].numpy(), frame_of)


def test_fixture_has_no_expand_segms_keys():
    """fumet.npz holds no loader fixture (#18 of the spec); the round trip
    above checks the loader against its batch tensors instead."""
    z = load_fixture('fumet')
    assert not [k for k in z.files if 'expand' in k or 'loader' in k]


# ---- synthetic tree through the KITTI path rule ----
SH, SW = 48, 160


@pytest.fixture(scope='module')
def synth_tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synth_fumet') / 'synthroad')
    write_synthroad(root, sequences=1, frames=4, size=(SH, SW), seed=3)
    return root


@pytest.mark.parametrize('size', [(SH, SW), (SH // 2, SW // 2)])
def test_synthroad_npz_through_kitti_rule(synth_tree, size):
    h, w = size
    pipeline = fumet_pipeline(height=h, width=w, npz_size=(SH, SW))
    with DefaultScope.overwrite_default_scope('depthseg'):
        ds = DATASETS.build(dict(type='KittiRawDataset', data_root=synth_tree,
                                 ann_file='splits/train_files.txt',
                                 pipeline=pipeline))
    assert len(ds) == 2
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        path = kitti_car_road_path(synth_tree, info['folder'], info['cam'],
                                   info['frame_index'],
                                   'heights_segms_with_road', (SH, SW))
        assert osp.isfile(path)
        with np.load(path) as z:
            segms, heights = z['segms'], z['heights']
        if size != (SH, SW):
            segms = segms[1::2, 1::2]  # centre-aligned nearest, factor 2
        item = ds[i]['inputs']
        labels = [v for v in np.unique(segms) if 0 < v < 100]
        assert (segms == 100).any()
        np.testing.assert_array_equal(item['road'].numpy(), segms == 100)
        with np.load(path) as z:
            all_labels = [v for v in np.unique(z['segms']) if 0 < v < 100]
        keep = [all_labels.index(v) for v in labels]
        np.testing.assert_array_equal(
            item['car_masks'].numpy(),
            np.stack([segms == v for v in labels]).reshape(-1, h, w))
        np.testing.assert_array_equal(item['car_heights'].numpy(),
                                      heights[keep].astype(np.float32))
