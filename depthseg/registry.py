"""depthseg registries: children of mmengine's root registries.

Every child names the sub-package whose import registers its members
(``locations=``), so configs only need ``default_scope='depthseg'``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

# ---- engine ----
# runners (custom Runner subclasses)
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS,
                   locations=['depthseg.engine'])
# train / val / test loops
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['depthseg.engine'])
# hooks (camera height, loss-weight schedules, visualisation)
HOOKS = Registry('hook', parent=MMENGINE_HOOKS,
                 locations=['depthseg.engine.hooks'])
# DDP wrappers (the CPU-safe one)
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS,
                          locations=['depthseg.engine'])
# optimizers, optimizer wrappers and their constructors
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS,
                      locations=['depthseg.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          locations=['depthseg.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['depthseg.engine'])
# learning-rate / momentum schedulers
PARAM_SCHEDULERS = Registry('parameter scheduler',
                            parent=MMENGINE_PARAM_SCHEDULERS,
                            locations=['depthseg.engine'])

# ---- datasets ----
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS,
                    locations=['depthseg.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS,
                         locations=['depthseg.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS,
                      locations=['depthseg.datasets.transforms'])

# ---- models ----
# networks, losses, views, estimators and data preprocessors
MODELS = Registry('model', parent=MMENGINE_MODELS,
                  locations=['depthseg.models'])

# ---- evaluation ----
METRICS = Registry('metric', parent=MMENGINE_METRICS,
                   locations=['depthseg.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR,
                     locations=['depthseg.evaluation'])

# ---- visualization ----
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS,
                       locations=['depthseg.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS,
                       locations=['depthseg.visualization'])
