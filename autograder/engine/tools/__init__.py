"""Kit-side helpers that the grader may run inside a worker (``worker.tool(name, ...)``).

They build the known, seeded objects that a hidden test hands to a student's function, so
that each test exercises one student function and not a chain of them. Tools are kit code,
not hidden code: they hold no expected values. ``common`` serves every assignment; an
assignment that needs its own tools adds a module here with a ``TOOLS`` dict, found by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any


def _collect() -> dict[str, Callable[..., Any]]:
    tools: dict[str, Callable[..., Any]] = {}
    for name in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        module = importlib.import_module(f"{__name__}.{name}")
        for tool, function in module.TOOLS.items():
            if tool in tools:
                raise RuntimeError(f"worker tool {tool!r} is defined twice")
            tools[tool] = function
    return tools


TOOLS = _collect()
