"""Dataset loading for the course kit: MNIST and cats vs dogs (offline-first), and the datasets
manifest."""

from .cats_dogs import CatsDogsData, find_mirror, load_cats_dogs
from .manifest import cache_dir, load_manifest
from .mnist import MnistData, describe_sources, load_mnist

__all__ = [
    "CatsDogsData",
    "MnistData",
    "cache_dir",
    "describe_sources",
    "find_mirror",
    "load_cats_dogs",
    "load_manifest",
    "load_mnist",
]
