"""Convert PackNet-SfM / All4Depth weights to depthseg keys (packnet spec
§3.2, §6.3 step 1, quirk Q31).

Phase 1 holds the pure key mapping only; loading the yacs-pickled ``.ckpt``
(quirk Q24), the command line, ``meta`` export and the strict check against
a config's model come with the PackNet configs.

Mapping (the networks keep the original parameter names):

* ``model.depth_net.<key>`` -> ``depth_encoder.<key>`` (PackNet01 /
  PackNetSlim01 as the estimator's depth encoder, with the parameter-free
  ``PassThroughDecoder``);
* ``model.pose_net.<key>`` -> ``pose_net.<key>`` (``PackNetPoseNet``);
* legacy ``.pth.tar`` keys: a missing ``model.`` prefix is added,
  ``model.model.`` -> ``model.``, ``pose_network`` -> ``pose_net``,
  ``disp_network`` -> ``depth_net``;
* the dropout shortcut ``convK.<i>.conv3.0.{weight,bias}`` ->
  ``convK.<i>.conv3.{weight,bias}`` (dropout only acts in training, so the
  converted model is built with dropout 0; the residual-block index
  ``convK.0.`` itself is left alone).

The official ``PackNet01_MR_selfsup_K.ckpt`` has 216 + 30 = 246 tensors.
"""
import re
from typing import Dict, Mapping, Optional

#: Tensors of PackNet01 (any version) and of PoseNet(nb_ref_imgs=2).
NUM_DEPTH_TENSORS = 216
NUM_POSE_TENSORS = 30
_SHORTCUT = re.compile(r'^(conv\d+\.\d+\.conv3)\.0\.(weight|bias)$')
_LEGACY_NAMES = (('model.pose_network.', 'model.pose_net.'),
                 ('model.disp_network.', 'model.depth_net.'))


def original_key(key: str) -> str:
    """A checkpoint key in the current packnet-sfm spelling
    (``model.depth_net.*`` / ``model.pose_net.*``)."""
    if not key.startswith('model.'):
        key = 'model.' + key
    if key.startswith('model.model.'):
        key = key[len('model.'):]
    for old, new in _LEGACY_NAMES:
        if key.startswith(old):
            key = new + key[len(old):]
    return key


def convert_packnet_state_dict(state_dict: Mapping,
                               depth_prefix: str = 'depth_encoder.',
                               pose_prefix: str = 'pose_net.',
                               expected_tensors: Optional[int] = None
                               ) -> Dict:
    """Map an original PackNet-SfM state dict to depthseg keys.

    Args:
        state_dict: ``ckpt['state_dict']`` of a packnet-sfm / All4Depth
            checkpoint (or a legacy ``.pth.tar`` state dict).
        depth_prefix, pose_prefix: depthseg prefixes of the two networks.
        expected_tensors: if given, the number of tensors the checkpoint
            must hold (246 for PackNet01 + PoseNet).

    Returns:
        A new dict, same values and order, depthseg keys.

    Raises:
        ValueError: a key belongs to neither network, two keys map to the
            same depthseg key, or the tensor count differs.
    """
    if expected_tensors is not None and len(state_dict) != expected_tensors:
        raise ValueError(f'expected {expected_tensors} tensors in the '
                         f'PackNet checkpoint, found {len(state_dict)}')
    out, unknown = {}, []
    for key, value in state_dict.items():
        name = original_key(key)
        if name.startswith('model.depth_net.'):
            sub = _SHORTCUT.sub(r'\1.\2', name[len('model.depth_net.'):])
            new = depth_prefix + sub
        elif name.startswith('model.pose_net.'):
            new = pose_prefix + name[len('model.pose_net.'):]
        else:
            unknown.append(key)
            continue
        if new in out:
            raise ValueError(f'two checkpoint keys map to {new!r} (one of '
                             f'them is {key!r})')
        out[new] = value
    if unknown:
        listed = ', '.join(unknown[:10])
        more = f' and {len(unknown) - 10} more' if len(unknown) > 10 else ''
        raise ValueError(f'{len(unknown)} checkpoint keys belong to neither '
                         f'model.depth_net nor model.pose_net: {listed}'
                         f'{more}')
    return out
