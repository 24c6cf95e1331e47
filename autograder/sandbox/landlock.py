"""Linux Landlock through ctypes: an unprivileged process limits what it (and every process it
starts) may read, write, connect to and signal.

Landlock is in mainline Linux since 5.13 and needs no privilege. Each kernel offers an *ABI
version*; later versions can restrict more:

=====  ====================================================================================
ABI    what this module uses it for
=====  ====================================================================================
1      files: read, write, execute, create, remove, only beneath the allowed folders
2      files: re-parenting (link, rename) across folders
3      files: truncation
4      network: TCP bind and connect (refused on every port without a :class:`PortRule`)
5      device ioctls
6      scopes: signals and abstract Unix sockets stay inside the sandbox
=====  ====================================================================================

Restrictions apply to the calling thread and to everything it starts afterwards: call
:func:`restrict` before any other thread exists (before TensorFlow or NumPy is imported).
Rules can only be added, never lifted, and they survive ``execve``.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable
from dataclasses import dataclass

# x86_64, aarch64 and every architecture since 5.13 share these numbers (the generic table).
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_RULE_NET_PORT = 2
_PR_SET_NO_NEW_PRIVS = 38

# File system access rights, by the ABI that introduced them.
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1,
              5: (1 << 16) - 1}
# Rights that make sense on a single file (the kernel refuses directory rights there).
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

READ = EXECUTE | READ_FILE | READ_DIR
READ_WRITE = READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SYM \
    | MAKE_FIFO | MAKE_SOCK | REFER | TRUNCATE


class LandlockError(OSError):
    """Landlock is missing, or refused a rule."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64),
                ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """The Landlock ABI the running kernel offers; 0 when Landlock is absent or disabled."""
    try:
        version = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                                  ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


@dataclass(frozen=True)
class Rule:
    """Allow ``access`` beneath ``path`` (the folder and everything under it, or one file)."""

    path: str
    access: int


@dataclass(frozen=True)
class PortRule:
    """Allow ``access`` (:data:`NET_BIND_TCP`, :data:`NET_CONNECT_TCP`) on one TCP port.

    Only ABI 4 and later restrict TCP; on an older kernel the rule is skipped (everything
    stays allowed there anyway).
    """

    port: int
    access: int


def restrict(rules: Iterable[Rule | PortRule], *, abi: int | None = None) -> dict:
    """Restrict this thread and its future children to ``rules``.

    Parameters
    ----------
    rules : iterable of Rule or PortRule
        What stays allowed; every other file access, every TCP bind and connect (ABI >= 4),
        signals to processes outside the sandbox and abstract Unix sockets (ABI >= 6) are
        refused. Paths that do not exist are skipped.
    abi : int, optional
        Use at most this ABI (tests simulate older kernels); default: the kernel's.

    Returns
    -------
    dict
        What is now enforced: ``{"abi", "filesystem", "network", "signals"}``.

    Raises
    ------
    LandlockError
        Landlock is not available, or the kernel refused the ruleset.
    """
    available = abi_version()
    if available < 1:
        raise LandlockError("Landlock is not available in this kernel")
    used = min(available, abi) if abi else available
    libc = _libc()
    handled_fs = _FS_BY_ABI[min(used, 5)]
    attr = _RulesetAttr(handled_fs, 0, 0)
    size = 8
    if used >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
        size = 16
    if used >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        size = 24
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        raise LandlockError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for rule in rules:
            if isinstance(rule, PortRule):
                if used >= 4:
                    _add_port_rule(libc, ruleset, rule)
            else:
                _add_rule(libc, ruleset, rule, handled_fs)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise LandlockError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            raise LandlockError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return {"abi": used, "filesystem": True, "network": used >= 4, "signals": used >= 6}


def _add_rule(libc: ctypes.CDLL, ruleset: int, rule: Rule, handled_fs: int) -> None:
    try:
        fd = os.open(rule.path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        access = rule.access & handled_fs
        if not os.path.isdir(rule.path):
            access &= _FILE_RIGHTS
        attr = _PathBeneathAttr(access, fd)
        if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(attr),
                        ctypes.c_uint32(0)) != 0:
            raise LandlockError(ctypes.get_errno(), f"landlock_add_rule failed for {rule.path}")
    finally:
        os.close(fd)


def _add_port_rule(libc: ctypes.CDLL, ruleset: int, rule: PortRule) -> None:
    attr = _NetPortAttr(rule.access & (NET_BIND_TCP | NET_CONNECT_TCP), rule.port)
    if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_NET_PORT, ctypes.byref(attr),
                    ctypes.c_uint32(0)) != 0:
        raise LandlockError(ctypes.get_errno(), f"landlock_add_rule failed for port {rule.port}")
