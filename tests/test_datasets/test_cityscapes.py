"""Cityscapes: preprocessed training tree, canonical alignment, raw test
frames (Q26), the evaluation window (Q17) and DepthMetric on a tiny tree."""
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from PIL import Image

from depthseg.datasets import (CITYSCAPES_CANONICAL, CanonicalAlign,
                               LoadCityscapesRaw, canonical_align_box,
                               city_cam_setting, cityscapes_eval_box,
                               cityscapes_gt_window)
from depthseg.evaluation.functional import compute_depth_errors
from depthseg.models.data_preprocessor import DepthDataPreprocessor
from depthseg.registry import DATASETS, METRICS
from depthseg.testing.cityscapes_tree import (
    RAW_INTRINSICS, canonical_for, make_cityscapes_preprocessed_tree,
    make_cityscapes_test_tree, preprocessed_intrinsics)

ROOT = Path(__file__).resolve().parents[2]
DATASET_CFGS = ROOT / 'configs' / '_base_' / 'datasets'
H, W = 48, 128  # 1/4 of 192×512; frames 96×256 (1/4 of 1024×384)


def build(cfg):
    with DefaultScope.overwrite_default_scope('depthseg'):
        return DATASETS.build(cfg)


def train_pipeline(flip_prob=0.0, flip_first=True, canonical=None,
                   height=H, width=W, min_area=200):
    fx, fy, cx, cy = canonical or canonical_for((height, width))
    flip = dict(type='RandomFlip', prob=flip_prob)
    align = dict(type='CanonicalAlign', height=height, width=width, fx=fx,
                 fy=fy, cx=cx, cy=cy)
    return [dict(type='LoadCityscapesStrip')] + (
        [flip, align] if flip_first else [align, flip]) + [
            dict(type='LoadCarRoadMasks', height=height, width=width,
                 min_area=min_area),
            dict(type='ResizePyramid', height=height, width=width,
                 num_scales=4),
            dict(type='ColorJitter', prob=0.0),
            dict(type='PackDepthInputs'),
        ]


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    return make_cityscapes_preprocessed_tree(
        str(tmp_path_factory.mktemp('cs') / 'cityscapes_data'))


def dataset(tree, **kwargs):
    cfg = dict(type='CityscapesPreprocessedDataset', data_root=tree['root'],
               ann_file=tree['train'], pipeline=train_pipeline())
    cfg.update(kwargs)
    return build(cfg)


def reference_frames(tree, frame, flip=False):
    """The spec's alignment written out: split the strip, (flip,) LANCZOS
    resize to (int(zoom_y·384'), int(zoom_x·1024')), crop H×W at
    (int(cy·zoom_y − cy_c), int(cx·zoom_x − cx_c))."""
    city = frame.split('_')[0]
    strip = np.asarray(Image.open(osp.join(tree['root'], city,
                                           frame + '.jpg')).convert('RGB'))
    fx, fy, cx, cy = np.loadtxt(osp.join(tree['root'], city,
                                         frame + '_cam.txt'),
                                delimiter=',')[[0, 4, 2, 5]]
    cfx, cfy, ccx, ccy = canonical_for((H, W))
    zx, zy = cfx / fx, cfy / fy
    w = strip.shape[1] // 3
    out = {}
    for fid, k in ((-1, 0), (0, 1), (1, 2)):
        img = Image.fromarray(strip[:, k * w:(k + 1) * w])
        if flip:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        img = img.resize((int(zx * w), int(zy * strip.shape[0])),
                         Image.Resampling.LANCZOS)
        top, left = int(cy * zy - ccy), int(cx * zx - ccx)
        out[fid] = np.asarray(img)[top:top + H, left:left + W]
    return out


# ---- geometry ----
def test_canonical_align_box_full_size():
    """1024×384 frames with Cityscapes' preprocessed intrinsics aligned to
    587.5, 587.5, 267.5, 130.0 at 192×512."""
    fx, fy, cx, cy = 2262.52 / 2, 2265.3017905988554 / 2, 548.49, 256.5685
    box = canonical_align_box((fx, fy, cx, cy), (384, 1024),
                              CITYSCAPES_CANONICAL)
    zx, zy = 587.5 / fx, 587.5 / fy
    assert box.resized_h == int(zy * 384) == 199
    assert box.resized_w == int(zx * 1024) == 531
    assert box.top == int(cy * zy - 130.0) == 3
    assert box.left == int(cx * zx - 267.5) == 17
    assert box.zoom_x == zx and box.zoom_y == zy


def test_canonical_K():
    align = CanonicalAlign()  # defaults: 192×512, FUMET's intrinsics
    K = align.normalised_K()
    assert K.dtype == np.float32
    np.testing.assert_array_equal(
        K, np.float32([[587.5 / 512, 0, 267.5 / 512, 0],
                       [0, 587.5 / 192, 130 / 192, 0], [0, 0, 1, 0],
                       [0, 0, 0, 1]]))
    assert align.normalised_K(flip=True)[0, 2] == np.float32(
        1 - np.float32(267.5 / 512))


def test_eval_box_on_1024x2048_gt():
    """Spec §6: top 75 % (768 rows), the field-of-view cut from undoing
    the alignment (floats, int at the end), then [256:, 192:1856] of the
    cut array."""
    fx, fy, u0, v0 = RAW_INTRINSICS
    zx, zy = 587.5 / fx, 587.5 / fy
    left, top = u0 * zx - 267.5, v0 * zy - 130.0
    t, b = int(top / zy), int((top + 192) / zy)
    l, r = int(left / zx), int((left + 512) / zx)
    assert (t, b, l, r) == (11, 752, 66, 2038)
    assert cityscapes_gt_window(RAW_INTRINSICS, CITYSCAPES_CANONICAL,
                                (192, 512)) == (t, b, l, r)
    box = cityscapes_eval_box((1024, 2048), RAW_INTRINSICS,
                              CITYSCAPES_CANONICAL, (192, 512))
    assert box == (t + 256, min(b, 768), l + 192, l + 1856)
    assert box == (267, 752, 258, 1922)  # ManyDepth: (256, 768, 192, 1856)
    gt = np.arange(1024 * 2048, dtype=np.float64).reshape(1024, 2048)
    np.testing.assert_array_equal(gt[:768][t:b, l:r][256:, 192:1856],
                                  gt[box[0]:box[1], box[2]:box[3]])


def test_city_cam_setting():
    for city in ('bochum', 'hamburg', 'hanover', 'krefeld',
                 'monchengladbach', 'strasbourg'):
        assert city_cam_setting(city) == 1.18
    for city in ('aachen', 'bremen', 'cologne', 'darmstadt', 'dusseldorf',
                 'erfurt', 'jena', 'stuttgart', 'tubingen', 'ulm', 'weimar',
                 'zurich', 'berlin'):
        assert city_cam_setting(city) == 1.22


# ---- preprocessed training tree ----
def test_data_infos(tree):
    ds = dataset(tree, pipeline=[])
    assert len(ds) == 4
    info = ds.get_data_info(0)
    city, frame = tree['frames'][0]
    assert info['city'] == city == 'bochum' and info['frame_name'] == frame
    assert info['img_path'] == osp.join(tree['root'], city, frame + '.jpg')
    assert info['cam_path'] == osp.join(tree['root'], city,
                                        frame + '_cam.txt')
    assert info['car_road_path'] == osp.join(tree['root'], city,
                                             frame + '.npz')
    assert [ds.get_data_info(i)['cam_setting'] for i in range(4)] == [
        1.18, 1.18, 1.22, 1.22]
    assert info['line_no'] == 1 and info['sample_idx'] == 0


@pytest.mark.parametrize('flip', [False, True])
def test_frames_equal_reference(tree, flip):
    ds = dataset(tree, pipeline=train_pipeline(flip_prob=float(flip)))
    for i in (0, 2):
        _, frame = tree['frames'][i]
        item = ds[i]
        ref = reference_frames(tree, frame, flip=flip)
        color = item['inputs']['color']
        assert set(color) == {0, -1, 1}
        for fid in (0, -1, 1):
            assert [tuple(t.shape) for t in color[fid]] == [
                (3, H, W), (3, H // 2, W // 2), (3, H // 4, W // 4),
                (3, H // 8, W // 8)]
            np.testing.assert_array_equal(
                color[fid][0].permute(1, 2, 0).numpy(), ref[fid])
        sample = item['data_samples']
        cfx, cfy, ccx, ccy = canonical_for((H, W))
        if flip:
            ccx = W - ccx
        np.testing.assert_allclose(
            sample.K, [[cfx / W, 0, ccx / W, 0], [0, cfy / H, ccy / H, 0],
                       [0, 0, 1, 0], [0, 0, 0, 1]], rtol=1e-6)
        assert sample.flip is flip
        assert sample.ori_shape == (96, 256) and sample.img_shape == (H, W)
        assert sample.cam_setting == city_cam_setting(frame.split('_')[0])


@pytest.mark.parametrize('flip', [False, True])
def test_masks_and_min_area(tree, flip):
    ds = dataset(tree, pipeline=train_pipeline(flip_prob=float(flip)))
    expected = [[2, 7], [], [], [1]]  # label 5 (80 px) <= 200 dropped
    heights = [[1.4, 1.6], [], [], [1.55]]
    for i, (_, frame) in enumerate(tree['frames']):
        segms = tree['npz'][frame]['segms']
        if flip:
            segms = segms[:, ::-1]
        inputs = ds[i]['inputs']
        has_road = i != 2  # frame 2: cars without road -> no cars
        np.testing.assert_array_equal(inputs['road'].numpy(),
                                      (segms == 100) & has_road)
        np.testing.assert_array_equal(
            inputs['car_masks'].numpy(),
            np.array([segms == v for v in expected[i]],
                     bool).reshape(-1, H, W))
        np.testing.assert_allclose(inputs['car_heights'].numpy(),
                                   heights[i], rtol=1e-7)
    # without the filter the small car is there
    ds = dataset(tree, pipeline=train_pipeline(min_area=0))
    np.testing.assert_allclose(ds[0]['inputs']['car_heights'].numpy(),
                               [1.4, 1.5, 1.6], rtol=1e-7)


def test_flip_after_align_is_consistent(tree):
    """RandomFlip after CanonicalAlign: frames = flipped aligned frames,
    the same K as the original order."""
    ds = dataset(tree, pipeline=train_pipeline(flip_prob=1.0,
                                               flip_first=False))
    ref = reference_frames(tree, tree['frames'][0][1])
    item = ds[0]
    np.testing.assert_array_equal(
        item['inputs']['color'][0][0].permute(1, 2, 0).numpy(),
        ref[0][:, ::-1])
    ds_orig = dataset(tree, pipeline=train_pipeline(flip_prob=1.0))
    np.testing.assert_array_equal(item['data_samples'].K,
                                  ds_orig[0]['data_samples'].K)


def test_batch_through_preprocessor(tree):
    ds = dataset(tree)
    batch = pseudo_collate([ds[i] for i in range(4)])
    out = DepthDataPreprocessor()(batch, True)['inputs']
    assert out['n_inst'].tolist() == [2, 0, 0, 1]
    assert out['car_frame_idx'].tolist() == [0, 0, 3]
    assert out['segms_flat'].shape == (3, H, W)
    assert out['cam_setting'].dtype == torch.float32
    np.testing.assert_allclose(out['cam_setting'].numpy(),
                               [1.18, 1.18, 1.22, 1.22], rtol=1e-7)
    cfx, cfy, ccx, ccy = canonical_for((H, W))
    for s in range(4):
        np.testing.assert_allclose(
            out['K'][s][0, :2, :3].numpy(),
            np.array([[cfx, 0, ccx], [0, cfy, ccy]]) / 2**s, rtol=1e-6)


def test_frame_ids_subset(tree):
    ds = dataset(tree, frame_ids=[0])
    assert set(ds[0]['inputs']['color']) == {0}
    with pytest.raises(ValueError, match='subset of'):
        dataset(tree, frame_ids=[0, 2])
    with pytest.raises(ValueError, match='subset of'):
        dataset(tree, frame_ids=[0, 's'])


# ---- bad inputs ----
def test_bad_split_line(tmp_path, tree):
    split = tmp_path / 'split.txt'
    split.write_text('bochum\n')
    with pytest.raises(ValueError, match='line 1 of split file'):
        dataset(tree, ann_file=str(split))
    split.write_text('bochum aachen_000000_000000\n')
    with pytest.raises(ValueError, match='<city> <frame>'):
        dataset(tree, ann_file=str(split))
    split.write_text('bochum bochum_000000_000000 l\n')  # 3 fields
    with pytest.raises(ValueError, match="'bochum bochum_000000_000000 l'. "
                       'Expected "<city> <frame>".* Fix: correct or delete'):
        dataset(tree, ann_file=str(split))
    with pytest.raises(FileNotFoundError, match='Split file not found'):
        dataset(tree, ann_file=str(tmp_path / 'none.txt'))


def test_missing_and_bad_files(tmp_path):
    tr = make_cityscapes_preprocessed_tree(str(tmp_path / 'cs'))
    ds = dataset(tr)
    city, frame = tr['frames'][0]
    folder = Path(tr['root']) / city
    (folder / (frame + '_cam.txt')).write_text('1,2,3\n')
    with pytest.raises(ValueError, match='9 comma-separated') as e:
        ds[0]
    assert frame + '_cam.txt' in str(e.value)
    (folder / (frame + '_cam.txt')).unlink()
    with pytest.raises(FileNotFoundError, match='_cam.txt'):
        ds[0]
    Image.new('RGB', (100, 96)).save(folder / (frame + '.jpg'))
    with pytest.raises(ValueError, match='multiple of 3'):
        ds[0]
    (folder / (frame + '.jpg')).unlink()
    with pytest.raises(FileNotFoundError, match=frame + '.jpg'):
        ds[0]
    city, frame = tr['frames'][1]
    (Path(tr['root']) / city / (frame + '.npz')).unlink()
    with pytest.raises(FileNotFoundError, match=frame + '.npz'):
        ds[1]
    # npz at another size than the aligned frames
    city, frame = tr['frames'][2]
    np.savez(Path(tr['root']) / city / (frame + '.npz'),
             segms=np.zeros((H, W + 32), np.uint8), heights=np.zeros(0))
    with pytest.raises(ValueError) as e:
        ds[2]
    assert frame + '.npz' in str(e.value)
    assert f'shape {(H, W + 32)}, expected {(H, W)}' in str(e.value)


def test_crop_window_outside_frame(tree):
    fx, fy, cx, cy = canonical_for((H, W))
    ds = dataset(tree, pipeline=train_pipeline(canonical=(fx, fy, cx + 20,
                                                          cy)))
    with pytest.raises(ValueError, match='canonical crop window'):
        ds[0]


# ---- raw test tree and evaluation ----
@pytest.fixture(scope='module')
def test_tree(tmp_path_factory):
    return make_cityscapes_test_tree(
        str(tmp_path_factory.mktemp('cs_test') / 'cityscapes'))


def test_q26_camera_fallback(test_tree, tmp_path):
    root = test_tree['root']
    results = dict(img_path=osp.join(root, 'leftImg8bit_sequence', 'test',
                                     'bonn',
                                     'bonn_000001_000012_leftImg8bit.png'),
                   camera_path=osp.join(root, 'camera', 'test', 'bonn',
                                        'bonn_000001_000012_camera.json'))
    out = LoadCityscapesRaw()(dict(results))
    assert out['camera_path_used'].endswith(
        'bonn/bonn_000001_000019_camera.json')
    assert out['orig_intrinsics'] == test_tree['intrinsics'][
        'bonn_000001_000012']
    fx = RAW_INTRINSICS[0]
    assert out['orig_intrinsics'][0] == pytest.approx(fx * 1.01)
    assert out['ori_shape'] == (1024, 2048)
    assert out['imgs'][0].size == (2048, 768)  # top 3/4
    # neither the json nor its fallback
    results['camera_path'] = osp.join(root, 'camera', 'test', 'bonn',
                                      'bonn_000002_000012_camera.json')
    with pytest.raises(FileNotFoundError) as e:
        LoadCityscapesRaw()(dict(results))
    assert 'bonn_000002_000012_camera.json' in str(e.value)
    assert 'bonn_000002_000019_camera.json' in str(e.value)


def test_config_files():
    cfg = Config.fromfile(DATASET_CFGS / 'cityscapes_test.py')
    ann_file = Path(cfg.test_dataloader.dataset.ann_file)
    # 1525 lines (Cityscapes' 1525 test images; no final newline, so
    # ``wc -l`` says 1524)
    assert len(ann_file.read_text().splitlines()) == 1525
    metric = METRICS.build(cfg.test_evaluator)
    assert metric.eval_cfg['crop'] == 'cityscapes'
    assert metric.scaling == 'none'
    cfg = Config.fromfile(DATASET_CFGS / 'cityscapes_preprocessed.py')
    loader = cfg.train_dataloader
    assert loader.batch_size == 8 and loader.drop_last
    ann_file = Path(loader.dataset.ann_file)
    assert len(ann_file.read_text().splitlines()) == 69731
    assert len((ann_file.parent / 'val_files.txt').read_text().splitlines()
               ) == 7621
    types = [p.type for p in loader.dataset.pipeline]
    masks = loader.dataset.pipeline[types.index('LoadCarRoadMasks')]
    assert (masks.height, masks.width, masks.min_area) == (192, 512, 200)
    for name, size in (('kitti_eigen_zhou_fumet', (192, 640)),
                       ('synthroad_fumet', (192, 640))):
        cfg = Config.fromfile(DATASET_CFGS / f'{name}.py')
        pipeline = cfg.train_dataloader.dataset.pipeline
        masks = [p for p in pipeline if p.type == 'LoadCarRoadMasks'][0]
        resize = [p for p in pipeline if p.type == 'ResizePyramid'][0]
        assert (masks.height, masks.width) == size == (resize.height,
                                                       resize.width)
        assert cfg.train_dataloader.drop_last
    for name in ('cityscapes', 'make3d', 'nyuv2'):
        assert (ROOT / 'splits' / name / 'test_files.txt').is_file()


def test_full_size_training_config(tmp_path):
    """cityscapes_preprocessed.py on full-size strips (3072×384)."""
    tr = make_cityscapes_preprocessed_tree(
        str(tmp_path / 'cs'), cities=('strasbourg', ), frames_per_city=1,
        frame_size=(384, 1024), npz_size=(192, 512))
    cfg = Config.fromfile(DATASET_CFGS / 'cityscapes_preprocessed.py')
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root, ds_cfg.ann_file = tr['root'], tr['train']
    item = build(ds_cfg)[0]
    assert item['inputs']['color'][0][0].shape == (3, 192, 512)
    assert item['inputs']['car_heights'].tolist() == pytest.approx(
        [1.4, 1.6])  # the 80 px car is dropped (min_area=200)
    assert item['data_samples'].cam_setting == 1.18
    assert preprocessed_intrinsics((384, 1024))[0] == 2262.52 / 2


def test_depth_metric_over_test_tree(test_tree):
    cfg = Config.fromfile(DATASET_CFGS / 'cityscapes_test.py')
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.data_root, ds_cfg.ann_file = test_tree['root'], test_tree['test']
    ds_cfg.gt_dir = 'gt_depths'  # relative to data_root
    ds = build(ds_cfg)
    assert len(ds) == 2
    metric = METRICS.build(cfg.test_evaluator)
    disps = (0.05, 0.1)  # constant predictions: depth 20 m and 10 m
    expected = []
    for i in range(len(ds)):
        item = ds[i]
        sample = item['data_samples']
        _, frame = test_tree['frames'][i]
        assert sample.img_shape == (192, 512)
        assert item['inputs']['color'][0][0].shape == (3, 192, 512)
        # the GT in the sample is the field-of-view cut of the top 75 %
        gt_raw = np.load(osp.join(test_tree['gt_dir'], f'{i:03d}_depth.npy'))
        intr = test_tree['intrinsics'][frame]
        t, b, l, r = cityscapes_gt_window(intr, CITYSCAPES_CANONICAL,
                                          (192, 512))
        np.testing.assert_array_equal(sample.gt_depth_map.data[0].numpy(),
                                      gt_raw[:768][t:b, l:r])
        # the evaluated pixels: the box of the spec on the raw GT
        bt, bb, bl, br = cityscapes_eval_box(gt_raw.shape, intr,
                                             CITYSCAPES_CANONICAL,
                                             (192, 512))
        gt = gt_raw[bt:bb, bl:br]
        gt = gt[(gt > 1e-3) & (gt < 80)]
        pred = np.full_like(gt, np.float32(1) / np.float32(disps[i]))
        expected.append(compute_depth_errors(gt, pred))
        sample.pred_disp_map = PixelData(
            data=torch.full((1, 192, 512), disps[i]))
        metric.process(None, [sample.to_dict()])
    result = metric.compute_metrics(metric.results)
    names = ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'a1', 'a2', 'a3')
    for k, name in enumerate(names):
        assert result[name] == pytest.approx(
            np.mean([e[k] for e in expected]), rel=1e-5), name
    assert 0 < result['a1'] < 1
