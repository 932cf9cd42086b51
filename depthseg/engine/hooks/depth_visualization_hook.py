"""TensorBoard pictures of training: input, disparity, masks, loss maps."""
import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from depthseg.registry import HOOKS
from depthseg.visualization import colorize


def _to_rgb(image) -> np.ndarray:
    """3×H×W float tensor in [0, 1] -> H×W×3 uint8."""
    array = image.detach().float().clamp(0, 1).cpu().numpy()
    return (array.transpose(1, 2, 0) * 255).round().astype(np.uint8)


def _gray(mask) -> np.ndarray:
    """H×W tensor in [0, 1] -> H×W×3 uint8 grey image."""
    array = (mask.detach().float().clamp(0, 1).cpu().numpy() * 255)
    return np.repeat(array.round().astype(np.uint8)[..., None], 3, axis=2)


@HOOKS.register_module()
class DepthVisualizationHook(Hook):
    """Every ``interval`` training iterations, log pictures of the first
    ``max_images`` samples of the batch to the visualizer's backends
    (TensorBoard with ``TensorboardVisBackend``):

    * ``train_input``: the un-augmented target image;
    * ``train_disp``: the scale-0 disparity (magma, 95th-percentile max);
    * ``train_<name>`` for every picture a loss plugin shows through its
      ``visuals(ctx) -> {name: (B×H×W tensor, 'mask' | 'map')}`` (masks in
      grey, maps in magma), e.g. the photometric loss's ``automask`` (where
      a reprojection beat the identity) and ``min_reproj`` (the per-pixel
      minimum error).

    Each picture stacks the samples vertically.
    """

    priority = 'NORMAL'

    def __init__(self, interval: int = 250, max_images: int = 4):
        self.interval = interval
        self.max_images = max_images

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(
            runner.model) else runner.model

    def before_train(self, runner) -> None:
        self._model(runner).keep_context = True

    def after_train(self, runner) -> None:
        model = self._model(runner)
        model.keep_context, model.last_context = False, None

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        model = self._model(runner)
        ctx = getattr(model, 'last_context', None)
        model.last_context = None
        if ctx is None or not self.every_n_train_iters(runner, self.interval):
            return
        n = min(self.max_images, ctx.disp[0].shape[0])
        pictures = {
            'input': [_to_rgb(ctx.color(0, 0)[i]) for i in range(n)],
            'disp': [colorize(ctx.disp[0][i]) for i in range(n)],
        }
        for plugin in model.modules():
            visuals = getattr(plugin, 'visuals', None)
            if not callable(visuals) or plugin is model:
                continue
            for name, (maps, kind) in visuals(ctx).items():
                pictures[name] = [
                    _gray(maps[i]) if kind == 'mask' else
                    colorize(maps[i], vmax_percentile=99) for i in range(n)
                ]
        for name, images in pictures.items():
            runner.visualizer.add_image(f'train_{name}',
                                        np.concatenate(images, 0),
                                        step=runner.iter + 1)
