# default_runtime with every epoch's checkpoint kept (the original saves
# weights_0 .. weights_N, Q10). FUMET's hooks (the per-epoch h* update over
# all ranks and the fine/rough loss-weight ramps) come with its loss plugins.
_base_ = ['./default_runtime.py']
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1))
