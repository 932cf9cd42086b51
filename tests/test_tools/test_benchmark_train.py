import re

from tool_helpers import ROOT, finish, start, write_toy_config

BENCHMARK = ROOT / 'tools' / 'analysis_tools' / 'benchmark_train.py'


def test_benchmark_train_prints_figures(tmp_path):
    config = write_toy_config(tmp_path)
    output = finish(
        start([
            BENCHMARK, config, '--iters', 3, '--warmup', 1, '--batch-size', 4,
            '--num-workers', 1, '--cfg-options', 'model.noise=0'
        ],
              cwd=tmp_path))
    lines = output.splitlines()
    assert any(line.startswith(
        'device: cpu, precision: fp32, batch size: 4, workers: 1, timed '
        'steps: 3 (+1 warm-up)') for line in lines), lines
    patterns = [
        r'train: \d+\.\d\d img/s, \d+\.\d+ s/step, loss [\d.e+-]+',
        r'data: \d+\.\d\d img/s per worker \(1 worker\)',
        r'peak memory: \d+\.\d MiB \(max RSS of the main process\)',
    ]
    for pattern in patterns:
        assert any(re.fullmatch(pattern, line) for line in lines), pattern
    assert not list(tmp_path.glob('work_dirs'))  # temporary work_dir only


def test_benchmark_train_fp32_and_amp_side_by_side(tmp_path):
    config = write_toy_config(tmp_path)
    output = finish(start([
        BENCHMARK, config, '--iters', 2, '--warmup', 1, '--batch-size', 2,
        '--num-workers', 0, '--skip-loading', '--precision', 'both',
        '--cfg-options', 'model.noise=0'], cwd=tmp_path))
    for precision in ('fp32', 'amp'):
        assert re.search(rf'^{precision}: [\d.]+ img/s, [\d.]+ s/step, loss '
                         r'[\d.e+-]+, peak memory [\d.]+ MiB$', output, re.M)
    assert re.search(r'^amp speed-up: [\d.]+x per step; loss difference '
                     r'[+-][\d.]+ %$', output, re.M)


def test_benchmark_train_over_seeds(tmp_path):
    """--seeds: one fp32 and one amp run per seed, then the mean and spread
    of the losses; the seed reaches the run (different initial weights)."""
    config = write_toy_config(tmp_path)
    output = finish(start([
        BENCHMARK, config, '--iters', 1, '--warmup', 0, '--precision', 'both',
        '--seeds', 0, 1, '--batch-size', 2, '--num-workers', 0,
        '--skip-loading', '--cfg-options', 'model.noise=0'], cwd=tmp_path))
    losses = {}
    for precision in ('fp32', 'amp'):
        for seed in (0, 1):
            match = re.search(rf'^{precision} \(seed {seed}\): [\d.]+ img/s, '
                              r'[\d.]+ s/step, loss ([\d.e+-]+), peak memory',
                              output, re.M)
            assert match, (precision, seed, output)
            losses[precision, seed] = float(match[1])
        assert re.search(rf'^{precision} loss over 2 seeds: mean [\d.e+-]+, '
                         r'min [\d.e+-]+, max [\d.e+-]+$', output, re.M)
    assert losses['fp32', 0] != losses['fp32', 1]
    assert re.search(r'^amp speed-up: [\d.]+x per step; loss difference '
                     r'[+-][\d.]+ %$', output, re.M)


def test_benchmark_loss_overhead_prints_figures(tmp_path):
    script = ROOT / 'tools' / 'analysis_tools' / 'benchmark_loss_overhead.py'
    output = finish(start([
        script, ROOT / 'configs/fumet/fumet_r18_synthroad_full.py',
        '--iters', 1,
        '--warmup', 0, '--rounds', 1, '--batch-size', 2, '--height', 64,
        '--width', 192, '--threads', 1
    ], cwd=tmp_path), timeout=300)
    assert re.search(r'baseline: \d+\.\d+ s/step, peak \d+ MiB .*'
                     r'PhotometricLoss, SmoothnessLoss\)', output)
    assert re.search(r'full: .*CameraHeightLoss, CarHeightLoss, '
                     r'RoadMaskingOverride\)', output)
    assert re.search(r'overhead of the extra plugins: -?\d+\.\d % step time,'
                     r' -?\d+\.\d % peak memory', output)
