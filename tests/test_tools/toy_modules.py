"""Tiny registered model, dataset, metric and hook for the tool tests.

Configs load this module with ``custom_imports=dict(imports=['toy_modules'])``
(the tests put this directory on ``PYTHONPATH``).
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from depthseg.registry import DATASETS, HOOKS, METRICS, MODELS


@MODELS.register_module()
class ToyDepthNet(BaseModel):
    """One conv + BN + 1x1 head regressing a one-channel map.

    Args:
        noise: std of Gaussian noise added to the prediction in the loss, so
            the training result depends on the global torch RNG.
        norm_eval: keep BN in eval mode (no batch statistics), so that DDP
            with batch b per rank equals one process with batch 2b.
    """

    def __init__(self, noise=0.1, norm_eval=False, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.noise = noise
        self.norm_eval = norm_eval
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Conv2d(4, 1, 1)

    def train(self, mode=True):
        super().train(mode)
        if mode and self.norm_eval:
            self.bn.eval()
        return self

    def forward(self, inputs, target=None, mode='tensor'):
        pred = self.head(F.relu(self.bn(self.conv(inputs))))
        if mode == 'tensor':
            return pred
        if mode == 'loss':
            if self.noise:
                pred = pred + self.noise * torch.randn_like(pred)
            return dict(loss_l2=F.mse_loss(pred, target))
        if mode == 'predict':
            return [dict(pred=p, target=t) for p, t in zip(pred, target)]
        raise RuntimeError(f'Invalid mode "{mode}"')


@DATASETS.register_module()
class ToyDataset(Dataset):
    """``size`` fixed random samples: 3x8x8 inputs, a 1x8x8 target."""

    def __init__(self, size=8):
        gen = torch.Generator().manual_seed(1234)
        self.inputs = torch.rand(size, 3, 8, 8, generator=gen)
        self.targets = self.inputs.mean(1, keepdim=True) * 2 + 0.5
        self.metainfo = dict(name='toy')

    def __len__(self):
        return len(self.inputs)

    def __getitem__(self, idx):
        return dict(inputs=self.inputs[idx], target=self.targets[idx])


@METRICS.register_module()
class ToyMetric(BaseMetric):
    """Mean squared error of the predictions."""

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            self.results.append(
                F.mse_loss(sample['pred'], sample['target']).item())

    def compute_metrics(self, results):
        return dict(mse=sum(results) / len(results))


@HOOKS.register_module()
class ToyCrashHook(Hook):
    """Kill the process (exit code 17) right after epoch ``epoch`` is saved.

    Simulates a crash: no clean-up, no validation of that epoch.
    """

    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epoch:
            os._exit(17)


@HOOKS.register_module()
class ToyIterCrashHook(Hook):
    """Kill the process (exit code 17) right after iteration ``iter`` (1-based
    count of finished iterations) and its checkpoint are written."""

    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, iter):
        self.iter = iter

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.iter:
            os._exit(17)


@HOOKS.register_module()
class SampleOrderRecorderHook(Hook):
    """Append ``epoch iter batch_idx sample_idx,...`` of every training batch
    to ``path`` (the data samples' ``sample_idx`` metainfo)."""

    def __init__(self, path):
        self.path = path

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        ids = [s.metainfo['sample_idx'] for s in data_batch['data_samples']]
        with open(self.path, 'a') as f:
            f.write(f'{runner.epoch} {runner.iter} {batch_idx} '
                    + ','.join(map(str, ids)) + '\n')
