"""depthseg: an OpenMMLab-style toolbox for self-supervised depth estimation."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(fname):
    """Return the requirement lines of ``requirements/<fname>``."""
    path = osp.join(osp.dirname(__file__), 'requirements', fname)
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'depthseg', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='depthseg',
    version=read_version(),
    description='Self-supervised monocular depth estimation toolbox '
    '(Monodepth2, FUMET, FeatDepth, BDEdepth) on mmengine',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'deploy': read_requirements('deploy.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
