# Monodepth2 R18 (monocular: frames 0, -1, +1) trained on your own video or
# folder of frames, sized for a CPU: 128x224 (16:9 video), batch 8, Adam
# 1e-4 for 20 epochs (x0.1 from epoch 15), ImageNet initialisation.
# Walkthrough (record -> config -> train -> infer): configs/custom/README.md.
#   python tools/train.py configs/custom/monodepth2_r18_video.py
#   python tools/infer.py configs/custom/monodepth2_r18_video.py \
#       work_dirs/monodepth2_r18_video/epoch_20.pth data/my_video.mp4
# Depth is relative (no metric scale from a monocular video). No ground
# truth: no val / test loop (tools/test.py does not apply).
_base_ = [
    '../_base_/models/monodepth2_r18.py',
    '../_base_/datasets/video.py',
    '../_base_/schedules/schedule_adam_20e.py',
    '../_base_/default_runtime.py',
]

# ---- your data: edit here, or on the command line with
#   --cfg-options train_dataloader.dataset.source=clip.mp4 \
#                 train_dataloader.dataset.intrinsics=clip_intrinsics.txt
train_dataloader = dict(
    dataset=dict(
        # a video (mp4, avi, mov, ...), a folder of frames, a folder of
        # sequence folders, or a list of these
        source='data/my_video.mp4',
        # 'fx fy cx cy' in pixels of the frames (or a 3x3 matrix, or YAML
        # with fx, fy, cx, cy, width, height): configs/custom/README.md
        intrinsics=None,
        # only without an intrinsics file: the horizontal field of view in
        # degrees, a guess (a phone's main camera in landscape: about 65);
        # depth and poses then depend on it (a warning says so)
        hfov_deg=None,
        # a 30 fps video: 3 trains at 10 fps, as KITTI
        frame_step=1))

# The depth and pose encoders start from torchvision's ImageNet ResNet-18
# (downloaded once). Offline: put resnet18-f37072fd.pth into
# ~/.cache/torch/hub/checkpoints/, or set model.depth_encoder.pretrained
# and model.pose_net.encoder.pretrained to a local file (None: from
# scratch, which a monocular model needs many more epochs for).
default_hooks = dict(logger=dict(interval=10))
