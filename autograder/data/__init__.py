"""Dataset loading for the course kit: MNIST (offline-first) and the datasets manifest."""

from .manifest import cache_dir, load_manifest
from .mnist import MnistData, describe_sources, load_mnist

__all__ = ["MnistData", "cache_dir", "describe_sources", "load_manifest", "load_mnist"]
