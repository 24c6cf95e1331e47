"""Dataset loading for the grader: the loaders of the students' package, under their old names.

The loaders (MNIST and cats vs dogs, offline first, and the datasets manifest) live in
:mod:`cnnkit_student.datasets`, which students install on its own to run their notebooks.
``autograder.data.mnist`` and the other submodules are the very same module objects (not
copies), so that a setting or a test's monkeypatch made through either name holds for both.
"""

import sys

from cnnkit_student.datasets import (
    CatsDogsData,
    MnistData,
    cache_dir,
    cats_dogs,
    describe_sources,
    find_mirror,
    load_cats_dogs,
    load_manifest,
    load_mnist,
    manifest,
    mnist,
)

# `import autograder.data.mnist` finds the module here before looking for a file.
for _name, _module in (("cats_dogs", cats_dogs), ("manifest", manifest), ("mnist", mnist)):
    sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module

__all__ = [
    "CatsDogsData",
    "MnistData",
    "cache_dir",
    "cats_dogs",
    "describe_sources",
    "find_mirror",
    "load_cats_dogs",
    "load_manifest",
    "load_mnist",
    "manifest",
    "mnist",
]
