"""The netns agent's hands: the only code that enters namespaces and runs ``ip`` and ``iptables``.

Runs inside the agent process (:mod:`grader.backends.netns_agent`), which lives in a private
mount namespace with its own ``/run`` and its own network namespace, so every name under
``/run/netns`` is one the agent created and everything disappears with the agent.

Guards, in addition to that isolation:

* every namespace and interface name must start with ``kp`` (:func:`check_names`);
* ``ip`` is only run as ``ip -n <kp-namespace> -batch -`` or for ``netns add/del`` of ``kp`` names;
* :meth:`Kernel.entered` switches the *calling thread* into a namespace with ``setns(2)`` and
  verifies the switch (the thread's namespace inode must equal the named one, and must not be a
  forbidden one: the backend's own namespace and the agent's home namespace) before anything
  runs there; it always switches back.

Python 3.11 has no ``os.setns``: ``setns(2)`` is called through ``ctypes``. Namespaces are per
thread for ``CLONE_NEWNET``, and processes started by a thread inherit that thread's namespace.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

from grader.backends.netns_plan import PREFIX, Sysctl, check_names

__all__ = ["Kernel", "KernelError", "NETNS_DIR", "mount_private_run"]

NETNS_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000
_LIBC: list = []


def _libc() -> ctypes.CDLL:
    """The C library, loaded on first use (importing this module works on any platform)."""
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


class KernelError(Exception):
    """A command or system call failed; the message says which and why."""


def _errno_text() -> str:
    err = ctypes.get_errno()
    return f"{os.strerror(err)} (errno {err})"


def mount_private_run() -> None:
    """Mount a tmpfs on ``/run`` (in the agent's private mount namespace only)."""
    if _libc().mount(b"tmpfs", b"/run", b"tmpfs", 0, b"mode=0755") != 0:
        raise KernelError(f"cannot mount a private tmpfs on /run: {_errno_text()}")
    os.makedirs(NETNS_DIR, exist_ok=True)


def _setns(fd: int) -> None:
    if _libc().setns(fd, CLONE_NEWNET) != 0:
        raise KernelError(f"setns(CLONE_NEWNET) failed: {_errno_text()}")


def _inode(path: str) -> int:
    return os.stat(path).st_ino


def clean_env() -> dict[str, str]:
    """Environment for child processes: no proxies, no locale surprises."""
    return {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LC_ALL": "C", "HOME": "/"}


class Kernel:
    """Namespace-confined primitives: batches of ``ip``, sysctls, ``iptables-restore``, processes."""

    def __init__(self, forbidden: Iterable[int] = ()) -> None:
        self.forbidden = set(forbidden) | {_inode("/proc/self/ns/net")}
        self.ip = shutil.which("ip") or "ip"
        self.conntrack = shutil.which("conntrack")
        self.bridge = shutil.which("bridge")
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- namespaces

    def namespaces(self) -> list[str]:
        """Names under ``/run/netns`` (all created by this agent)."""
        try:
            return sorted(os.listdir(NETNS_DIR))
        except FileNotFoundError:
            return []

    def add_namespaces(self, names: Sequence[str]) -> None:
        check_names(names)
        if names:
            self._run([self.ip, "-batch", "-"], "".join(f"netns add {n}\n" for n in names))

    def delete_namespaces(self, names: Sequence[str]) -> None:
        names = [n for n in names if n.startswith(PREFIX)]
        if names:
            self._run([self.ip, "-force", "-batch", "-"], "".join(f"netns del {n}\n" for n in names), check=False)

    def inode(self, namespace: str) -> int:
        check_names([namespace])
        return _inode(f"{NETNS_DIR}/{namespace}")

    @contextmanager
    def entered(self, namespace: str) -> Iterator[None]:
        """Run the block with the calling thread inside ``namespace`` (verified), then switch back."""
        check_names([namespace])
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            target = os.open(f"{NETNS_DIR}/{namespace}", os.O_RDONLY)
            try:
                expected = os.fstat(target).st_ino
                if expected in self.forbidden:
                    raise KernelError(f"refusing to enter {namespace}: it is not a namespace this agent created")
                _setns(target)
            finally:
                os.close(target)
            try:
                now = _inode("/proc/thread-self/ns/net")
                if now != expected or now in self.forbidden:
                    raise KernelError(f"setns into {namespace} did not take effect")
                yield
            finally:
                _setns(home)
        finally:
            os.close(home)

    # ----------------------------------------------------------------- commands

    def ip_batch(self, namespace: str, lines: Sequence[str]) -> None:
        """``ip -n NAMESPACE -batch -`` (stops at the first failing line)."""
        check_names([namespace])
        if lines:
            self._run([self.ip, "-n", namespace, "-batch", "-"], "".join(f"{line}\n" for line in lines))

    def link_states(self, namespace: str) -> dict[str, str]:
        """Interface name -> operational state (``UP`` once the kernel's link watcher has seen the carrier);
        bridge ports report their port state (``forwarding``) as ``port:forwarding`` entries too."""
        check_names([namespace])
        states: dict[str, str] = {}
        for argv, prefix in (([self.ip, "-n", namespace, "-o", "link", "show"], ""),
                             ([self.bridge, "-n", namespace, "link", "show"], "port:")):
            if argv[0] is None:
                continue
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=clean_env())
            for line in done.stdout.splitlines():
                words = line.split()
                if len(words) > 2 and "state" in words:
                    name = words[1].rstrip(":").split("@")[0]
                    states[prefix + name] = words[words.index("state") + 1]
        return states

    def run_in(self, namespace: str, argv: Sequence[str], stdin: str | None = None,
               timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run a program inside ``namespace`` (started from a thread that entered it)."""
        with self.entered(namespace):
            return subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                                  timeout=timeout, env=clean_env())

    def iptables_restore(self, namespace: str, document: str) -> None:
        """Replace the namespace's ``filter`` and ``nat`` tables atomically."""
        done = self.run_in(namespace, ["iptables-restore"], document)
        if done.returncode != 0:
            raise KernelError(f"iptables-restore in {namespace} failed: {done.stderr.strip()}")

    def iptables_save(self, namespace: str) -> str:
        done = self.run_in(namespace, ["iptables-save"])
        if done.returncode != 0:
            raise KernelError(f"iptables-save in {namespace} failed: {done.stderr.strip()}")
        return done.stdout

    def conntrack_flush(self, namespace: str) -> bool:
        """Forget the namespace's connections (stale NAT after a rule change); False without ``conntrack``."""
        if self.conntrack is None:
            return False
        return self.run_in(namespace, [self.conntrack, "-F"]).returncode == 0

    def clear_recent(self, namespace: str) -> int:
        """Empty every ``-m recent`` table of the namespace (session affinity memory); returns how many.

        The tables live in ``/proc/thread-self/net/xt_recent`` of the namespace the calling
        thread is in; writing ``/`` to one clears it (``xt_recent``'s own interface).
        """
        cleared = 0
        with self.entered(namespace):
            folder = "/proc/thread-self/net/xt_recent"
            try:
                names = sorted(os.listdir(folder))
            except FileNotFoundError:
                return 0
            for name in names:
                with open(os.path.join(folder, name), "w", encoding="ascii") as handle:
                    handle.write("/\n")
                cleared += 1
        return cleared

    def write_sysctls(self, namespace: str, sysctls: Sequence[Sysctl]) -> list[str]:
        """Write each sysctl inside the namespace; returns the optional ones the kernel lacks."""
        skipped = []
        with self.entered(namespace):
            for item in sysctls:
                try:
                    with open(item.path, "w", encoding="ascii") as handle:
                        handle.write(item.value)
                except FileNotFoundError:
                    if item.required:
                        raise KernelError(f"sysctl {item.key} does not exist in this kernel") from None
                    skipped.append(item.key)
                except OSError as exc:
                    raise KernelError(f"cannot set {item.key}={item.value} in {namespace}: {exc}") from None
        return skipped

    def _run(self, argv: list[str], stdin: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60, env=clean_env())
        if check and done.returncode != 0:
            where = " ".join(argv[:3])
            raise KernelError(f"{where} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done
