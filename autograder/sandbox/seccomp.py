"""A seccomp filter that takes sockets away: no network at all, whatever the Landlock ABI.

Landlock (ABI 4 and later) refuses TCP only; UDP, raw sockets, netlink and Unix sockets to
other programs' socket files are outside its reach. Grading code needs none of them, so the
filter makes ``socket()`` fail with ``EACCES`` for every address family (``socketpair()``,
which only connects a process to itself, stays allowed) and refuses ``io_uring``, whose
requests could open sockets without calling ``socket()``. The filter is a few classic BPF
instructions, installed with ``prctl`` like the Landlock ruleset: unprivileged, inherited by
every child, never lifted.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000
# BPF opcodes: load a word at an absolute offset, jump if equal / greater or equal, return.
_LD_ABS, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06
_X32_BIT = 0x40000000

# architecture -> (AUDIT_ARCH value, syscall numbers of socket, io_uring_setup)
_ARCHES = {
    "x86_64": (0xC000003E, {"socket": 41, "io_uring_setup": 425}),
    "aarch64": (0xC00000B7, {"socket": 198, "io_uring_setup": 425}),
}


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported() -> bool:
    """Whether this machine's architecture is one the filter knows."""
    return platform.machine() in _ARCHES


def _program(machine: str) -> bytes:
    arch, numbers = _ARCHES[machine]

    def op(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("=HBBI", code, jt, jf, k)

    deny_socket = _RET_ERRNO | errno.EACCES
    deny_uring = _RET_ERRNO | errno.ENOSYS
    return b"".join([
        op(_LD_ABS, 0, 0, 4),  # seccomp_data.arch
        op(_JEQ, 1, 0, arch),
        op(_RET, 0, 0, _RET_KILL_PROCESS),  # another ABI (e.g. 32-bit calls): never allowed
        op(_LD_ABS, 0, 0, 0),  # seccomp_data.nr
        op(_JGE, 4, 0, _X32_BIT),  # x32 numbering of the same calls
        op(_JEQ, 4, 0, numbers["socket"]),
        op(_JEQ, 1, 0, numbers["io_uring_setup"]),
        op(_RET, 0, 0, _RET_ALLOW),
        op(_RET, 0, 0, deny_uring),
        op(_RET, 0, 0, _RET_KILL_PROCESS),
        op(_RET, 0, 0, deny_socket),
    ])


def forbid_sockets() -> None:
    """Install the filter on this thread and its future children.

    Raises
    ------
    OSError
        The architecture is unknown or the kernel refused the filter.
    """
    machine = platform.machine()
    if machine not in _ARCHES:
        raise OSError(errno.ENOTSUP, f"no seccomp filter for {machine}")
    program = _program(machine)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _Filter(len(program) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter refused")
