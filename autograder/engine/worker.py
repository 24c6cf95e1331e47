"""The worker process: the only place where a student's code runs.

Forked for :class:`autograder.engine.client.Worker` by the fork server
(:mod:`autograder.engine.forkserver`), with TensorFlow already imported and the sandbox
entered; its stdout and stderr (the student's prints and TensorFlow's logs) go to a capture
file. It caps its own memory, then answers requests from the grader on a pair of pipes, one
plain-data message at a time (see :mod:`autograder.engine.protocol`).

Objects that are not plain data (a Keras model, a figure) stay here; the grader receives a
handle to them and may call their methods or ask for a plain description of them.
"""

from __future__ import annotations

import builtins
import collections
import os
import resource
import sys
import types
import warnings
from typing import Any

from autograder.engine import introspect, protocol, tools


def _cap_memory(megabytes: int) -> None:
    """Limit the address space so that a runaway allocation fails with MemoryError."""
    if megabytes <= 0:
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def quiet_imports() -> dict:
    """Import the heavy libraries once, quietly, and make TensorFlow deterministic."""
    warnings.filterwarnings("ignore")
    import matplotlib

    matplotlib.use("Agg")
    import keras
    import numpy
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_op_determinism()
    return {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": numpy.__version__}


class Session:
    """The student's namespace and the objects the grader holds handles to."""

    def __init__(self) -> None:
        self.module = types.ModuleType("submission")
        self.module.__dict__["__builtins__"] = builtins
        self.objects: dict[int, Any] = {}
        self.next_id = 1

    # -- handles ---------------------------------------------------------------------------
    def handle_of(self, value: Any) -> protocol.Handle:
        handle_id = self.next_id
        self.next_id += 1
        self.objects[handle_id] = value
        kind = type(value)
        return protocol.Handle(
            handle_id, f"{kind.__module__}.{kind.__qualname__}", repr_safe(value)[:200]
        )

    def object_of(self, handle: protocol.Handle) -> Any:
        try:
            return self.objects[handle.id]
        except KeyError:
            raise LookupError(f"no object with handle {handle.id}") from None

    # -- requests --------------------------------------------------------------------------
    def load(self, cells: list[dict]) -> dict:
        errors = []
        for cell in cells:
            filename = f"<cell {cell['number']}>"
            try:
                code = compile(cell["source"], filename, "exec")
                exec(code, self.module.__dict__)
            except BaseException as error:  # noqa: BLE001 - any failure is the student's
                # KeyboardInterrupt and SystemExit included: the grader stops a worker with
                # SIGKILL, never SIGINT, so an interrupt here is the cell's own doing and
                # costs that cell only.
                # The parts travel as plain data: the grader builds the sentence in the
                # course's language (this process never translates). "message" is the same
                # sentence in English, for readers that want one line.
                described = describe_exception(error)
                line = described["line"]
                where = f" at line {line}" if line else ""
                errors.append(
                    {
                        "cell": cell["number"],
                        "type": described["type"],
                        "line": line,
                        "detail": described["message"],
                        "message": (
                            f"cell {cell['number']} raised {described['type']}{where} when its "
                            f"definitions were loaded: {described['message']}"
                        ),
                        "names": [n for n in cell["defines"] if n not in self.module.__dict__],
                    }
                )
        names = sorted(
            name
            for name, value in self.module.__dict__.items()
            if callable(value) and not name.startswith("__")
        )
        return {"errors": errors, "callables": names}

    def resolve(self, request: dict):
        if request.get("function") is not None:
            name = request["function"]
            value = self.module.__dict__.get(name)
            if value is None or not callable(value):
                raise _NotDefined(name)
            return value
        target = self.object_of(request["target"])
        method = request.get("method")
        return getattr(target, method) if method else target

    def call(self, request: dict) -> Any:
        function = self.resolve(request)
        args = request.get("args", [])
        kwargs = request.get("kwargs", {})
        return function(*args, **kwargs)

    def inspect(self, request: dict) -> Any:
        target = self.object_of(request["target"])
        return introspect.INSPECTORS[request["kind"]](target)

    def tool(self, request: dict) -> Any:
        function = tools.TOOLS[request["name"]]
        return function(*request.get("args", []), **request.get("kwargs", {}))

    def release(self, request: dict) -> None:
        for handle in request.get("handles", []):
            self.objects.pop(handle.id, None)


class _NotDefined(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def repr_safe(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break grading
        return f"<{type(value).__name__}>"


def _student_frames(tb: types.TracebackType | None, keep: int = 8) -> list[tuple[str, int, str]]:
    """The last ``keep`` frames of a traceback that ran in the student's cells, as (cell, line,
    function). The traceback is walked, not extracted: a runaway recursion leaves a million
    frames, which ``traceback.extract_tb`` takes seconds to read (source lines included)."""
    kept: collections.deque = collections.deque(maxlen=keep)
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.startswith("<cell "):
            kept.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return list(kept)


def describe_exception(error: BaseException) -> dict:
    """Plain description of an exception, keeping only frames from the student's cells."""
    student = _student_frames(error.__traceback__)
    if isinstance(error, SyntaxError) and (error.filename or "").startswith("<cell "):
        line = error.lineno
    else:
        line = student[-1][1] if student else None
    return {
        "type": type(error).__name__,
        "message": str(error)[:2000],
        "line": line,
        "traceback": [f"{cell}, line {number}, in {name}" for cell, number, name in student],
        "not_implemented": isinstance(error, NotImplementedError),
        "memory": isinstance(error, MemoryError),
    }


def handle_request(session: Session, request: dict) -> dict:
    op = request.get("op")
    try:
        if op == "load":
            return {"ok": True, "value": session.load(request["cells"])}
        if op == "call":
            return {"ok": True, "value": session.call(request)}
        if op == "inspect":
            return {"ok": True, "value": session.inspect(request)}
        if op == "tool":
            return {"ok": True, "value": session.tool(request)}
        if op == "release":
            session.release(request)
            return {"ok": True, "value": None}
        return {"ok": False, "error": {"type": "ProtocolError", "message": f"unknown op {op!r}"}}
    except _NotDefined as missing:
        return {"ok": False, "error": {"type": "NotDefined", "message": missing.name}}
    except BaseException as error:  # noqa: BLE001 - every student failure becomes data
        return {"ok": False, "error": describe_exception(error)}


def serve(in_fd: int, out_fd: int) -> None:
    session = Session()
    while True:
        try:
            request = protocol.read_message(in_fd)
        except EOFError:
            return
        # Handles in a request always point at objects this worker holds.
        request = _resolve_handles(session, request)
        reply = handle_request(session, request)
        try:
            protocol.write_message(out_fd, reply, handle_of=session.handle_of)
        except BaseException as error:  # noqa: BLE001 - e.g. MemoryError while encoding
            fallback = {"ok": False, "error": describe_exception(error)}
            protocol.write_message(out_fd, fallback, handle_of=session.handle_of)
        sys.stdout.flush()
        sys.stderr.flush()


def _resolve_handles(session: Session, value: Any) -> Any:
    if isinstance(value, protocol.Handle):
        # The request's "target" stays a Handle; arguments become the real objects.
        return value
    if isinstance(value, dict):
        resolved = {}
        for key, item in value.items():
            if key in ("args", "kwargs"):
                resolved[key] = _objects_in(session, item)
            else:
                resolved[key] = item
        return resolved
    return value


def _objects_in(session: Session, value: Any) -> Any:
    if isinstance(value, protocol.Handle):
        return session.object_of(value)
    if isinstance(value, list):
        return [_objects_in(session, v) for v in value]
    if isinstance(value, tuple):
        return tuple(_objects_in(session, v) for v in value)
    if isinstance(value, dict):
        return {k: _objects_in(session, v) for k, v in value.items()}
    return value


def run(in_fd: int, out_fd: int, *, memory_mb: int, sandbox_level: dict,
        versions: dict) -> None:
    """Serve one submission on the pipes ``in_fd`` and ``out_fd``.

    Called in a process the fork server (:mod:`autograder.engine.forkserver`) forked and put
    in its sandbox (``sandbox_level`` says what is enforced), with the libraries of
    :func:`quiet_imports` already loaded (``versions``).
    """
    # Nothing the student or TensorFlow prints may reach the protocol pipes.
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    _cap_memory(memory_mb)
    protocol.write_message(out_fd, {"ready": True, "pid": os.getpid(), **versions,
                                    "sandbox": sandbox_level})
    serve(in_fd, out_fd)
