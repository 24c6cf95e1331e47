"""The course's datasets: MNIST and cats vs dogs (offline first), and the datasets manifest.

A notebook loads its data with ``from cnnkit_student.datasets import load_mnist`` (or
``load_cats_dogs``); the course's grader uses the same loaders.
"""

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
