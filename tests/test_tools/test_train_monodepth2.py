"""Monodepth2 end to end on a tiny KITTI raw tree through the real tools."""
import torch
from tool_helpers import ROOT, finish, free_port, start

from depthseg.testing.configs import write_tiny_config
from depthseg.testing.kitti_tree import make_kitti_raw_tree

TRAIN = ROOT / 'tools' / 'train.py'
DIST = ROOT / 'tools' / 'dist_train.sh'


def _tree(tmp_path, num_frames=6):
    return make_kitti_raw_tree(str(tmp_path / 'kitti'), size=(64, 192),
                               num_frames=num_frames)


def _state(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def test_train_then_resume_continues_exactly(tmp_path):
    tree = _tree(tmp_path)
    cfg2 = write_tiny_config(tmp_path, tree['root'], tree['train'],
                             max_epochs=3, name='tiny.py')
    # uninterrupted: 3 epochs
    finish(start([TRAIN, cfg2, '--work-dir', tmp_path / 'full'], ROOT),
           timeout=600)
    # killed right after saving epoch 2, then --resume
    stop = ("custom_hooks = [dict(type='ToyCrashHook', epoch=2)]\n"
            "custom_imports = dict(imports=['toy_modules'])\n")
    cfg_stop = write_tiny_config(tmp_path, tree['root'], tree['train'],
                                 max_epochs=3, extra=stop, name='stop.py')
    work = tmp_path / 'resumed'
    finish(start([TRAIN, cfg_stop, '--work-dir', work], ROOT), returncode=17,
           timeout=600)
    assert (work / 'epoch_2.pth').is_file()
    assert not (work / 'epoch_3.pth').exists()
    out = finish(start([TRAIN, cfg2, '--work-dir', work, '--resume'], ROOT),
                 timeout=600)
    assert 'resumed' in out.lower() or 'resume' in out.lower()
    full, resumed = (_state(tmp_path / 'full' / 'epoch_3.pth'),
                     _state(work / 'epoch_3.pth'))
    assert full['meta']['iter'] == resumed['meta']['iter'] > 0
    for key, value in full['state_dict'].items():
        assert torch.equal(value, resumed['state_dict'][key]), key
    for a, b in zip(full['optimizer']['state'].values(),
                    resumed['optimizer']['state'].values()):
        assert torch.equal(a['exp_avg'], b['exp_avg'])
    assert full['param_schedulers'] == resumed['param_schedulers']


def test_dist_train_two_cpu_processes_equal_one_with_double_batch(tmp_path):
    tree = _tree(tmp_path, num_frames=10)
    # identical batches: no random augmentation, frozen BN statistics, no
    # tie-break noise (each process draws its own) and plain SGD: Adam's
    # normalisation turns float-level differences of near-zero gradients
    # into steps of up to ±lr, hiding what this test checks (the gradients)
    extra = ("model['losses'] = dict(photometric=dict(noise_scale=0.0), "
             "smooth=dict(loss_weight=1e-3))\n"
             "optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', "
             "lr=0.1))\n")
    kw = dict(augment=False, norm_eval=True, max_epochs=1, extra=extra)
    one = write_tiny_config(tmp_path, tree['root'], tree['train'],
                            batch_size=4, name='one.py', **kw)
    two = write_tiny_config(tmp_path, tree['root'], tree['train'],
                            batch_size=2, name='two.py', **kw)
    finish(start([TRAIN, one, '--work-dir', tmp_path / 'one'], ROOT),
           timeout=600)
    out = finish(start([DIST, two, 2, '--work-dir', tmp_path / 'two'], ROOT,
                       PORT=free_port()), timeout=600)
    assert 'gloo' in out
    a = _state(tmp_path / 'one' / 'epoch_1.pth')
    b = _state(tmp_path / 'two' / 'epoch_1.pth')
    assert a['meta']['iter'] == b['meta']['iter'] >= 2
    worst = max((a['state_dict'][k] - b['state_dict'][k]).abs().max().item()
                for k in a['state_dict']
                if a['state_dict'][k].is_floating_point())
    assert worst < 1e-5, worst


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    tree = _tree(tmp_path)
    r18 = write_tiny_config(tmp_path, tree['root'], tree['train'],
                            max_epochs=1, name='r18.py')
    finish(start([TRAIN, r18, '--work-dir', tmp_path / 'r18'], ROOT),
           timeout=600)
    r50 = write_tiny_config(
        tmp_path, tree['root'], tree['train'], max_epochs=1, name='r50.py',
        base='configs/monodepth2/monodepth2_r50_kitti.py')
    out = finish(start([TRAIN, r50, '--work-dir', tmp_path / 'r50',
                        '--cfg-options',
                        f'load_from={tmp_path / "r18" / "epoch_1.pth"}'],
                       ROOT), returncode=1, timeout=600)
    assert 'does not fit this model' in out
    assert 'shape mismatches' in out and 'epoch_1.pth' in out


def test_tensorboard_pictures(tmp_path):
    tree = _tree(tmp_path)
    hooks = ("default_hooks = dict(visualization=dict("
             "interval=1, max_images=2))\n")
    cfg = write_tiny_config(tmp_path, tree['root'], tree['train'],
                            max_epochs=1, extra=hooks)
    work = tmp_path / 'work'
    finish(start([TRAIN, cfg, '--work-dir', work], ROOT), timeout=600)
    images = {p.name for p in work.glob('*/vis_data/vis_image/*.png')}
    for name in ('input', 'disp', 'automask', 'min_reproj'):
        assert f'train_{name}_1.png' in images, sorted(images)
    assert list(work.glob('*/vis_data/events.out.tfevents.*'))
