"""Test utilities: parity fixtures, tiny dataset trees and configs."""
from .fixtures import FIXTURE_DIR, fixture_dir, load_fixture

__all__ = ['FIXTURE_DIR', 'fixture_dir', 'load_fixture']
