# PackNet-SfM (Guizilini et al., CVPR 2020): the 128 M-parameter PackNet01
# ('1A', 3-D packing / unpacking, GroupNorm(16), ELU, inverse depth =
# sigmoid / 0.5) as the whole depth network (depth_encoder) behind the
# parameter-free PassThroughDecoder, the 9-channel SfMLearner-style
# PackNetPoseNet (Euler angles, x0.01) and the original
# MultiViewPhotometricLoss (PackNetPhotometricLoss, packnet spec §2).
# The network outputs inverse depth, not a sigmoid disparity: min_depth=1,
# max_depth=1e30 make disp_to_depth the identity (depth = 1 / inv_depth;
# 1/1e30 vanishes next to inverse depths in (0, 2) in float32 and float64;
# not float('inf'), which a dumped config could not re-load).
# Inputs are RGB in [0, 1] without normalisation (DepthDataPreprocessor).
model = dict(
    type='SelfSupDepthEstimator',
    data_preprocessor=dict(type='DepthDataPreprocessor'),
    depth_encoder=dict(type='PackNet01', version='1A', dropout=None),
    depth_decoder=dict(type='PassThroughDecoder'),
    # back_context + forward_context = 2 (frame_ids below; quirk Q22)
    pose_net=dict(type='PackNetPoseNet', nb_ref_imgs=2),
    losses=dict(
        photometric=dict(
            type='PackNetPhotometricLoss',
            num_scales=4,
            ssim_loss_weight=0.85,
            smooth_loss_weight=1e-3,  # the config default (quirk Q29)
            C1=1e-4,
            C2=9e-4,
            photometric_reduce_op='min',
            automask_loss=True,  # no tie-break noise (quirk Q9)
            clip_loss=0.0,
            padding_mode='zeros',
            progressive_scaling=0.0,
            legacy_progressive_scaling_noop=True,  # quirk Q2 reproduced
            upsample_depth_maps=True)),  # nearest (quirk Q13)
    # [t-1, t+1]: the original's rgb_context order
    frame_ids=[0, -1, 1],
    scales=[0, 1, 2, 3],
    min_depth=1.0,
    max_depth=1e30,
    padding_mode='zeros',
    # flip inside the model, depth net only, once per batch (quirk Q37)
    depth_flip_prob=0.5,
    # PackNet's modes: '' (flip_post_process=False) and _pp (True); the
    # _gt rows come from the evaluator's median scaling
    test_cfg=dict(depth_scale=1.0, flip_post_process=False))
