"""Test utilities: parity fixtures, tiny dataset trees and configs."""
from .fixtures import FIXTURE_DIR, load_fixture

__all__ = ['FIXTURE_DIR', 'load_fixture']
