"""Image references and the catalogue of images whose behaviour the simulator knows.

An image matches with or without its registry or Docker Hub's ``docker.io/library/`` prefix,
with any tag or digest: ``nginx``, ``nginx:1.27-alpine``, ``docker.io/library/nginx@sha256:…``
are all nginx. For each known image the catalogue records what the image itself would run
(its ``ENTRYPOINT`` and ``CMD``, which a Pod's ``command`` and ``args`` replace) and which
extra programs it ships (a shell, BusyBox ``nc`` or OpenBSD ``nc``, BusyBox ``httpd``,
Python), because ``command: ["nc", "-l", "-p", "8080"]`` listens in busybox and fails with
"not found" in debian.

Sources: each image's Dockerfile (official images on Docker Hub; agnhost:
``test/images/agnhost/Dockerfile`` in kubernetes/kubernetes, ``ENTRYPOINT ["/agnhost"]``,
``CMD ["pause"]``; hashicorp/http-echo and traefik/whoami: ``FROM scratch`` with the binary
as entrypoint; hello-app: distroless with ``CMD ["/hello-app"]``).
"""

from __future__ import annotations


from grader.records import frozen
from grader.sim.apps.model import is_digits

__all__ = ["ImageInfo", "ImageRef", "parse_image"]

DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")


@frozen
class ImageInfo:
    """What the catalogue knows about one image.

    ``family`` names the behaviour (``"nginx"``, ``"agnhost"``, ``"busybox"``...); ``shell``
    says the image has ``/bin/sh`` and the usual tools (``sleep``, ``tail``...); ``nc`` is
    ``"busybox"``, ``"openbsd"`` or ``""`` (not installed); ``busybox_httpd``, ``python`` and
    ``busybox`` say whether ``httpd`` (BusyBox's), ``python3`` and the ``busybox`` binary exist.
    """

    family: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    shell: bool = True
    nc: str = ""
    busybox_httpd: bool = False
    python: bool = False
    busybox: bool = False


@frozen
class ImageRef:
    """An image reference split into repository ``path`` and ``tag``, plus catalogue info."""

    text: str
    path: str
    tag: str
    info: ImageInfo | None

    def major(self) -> str:
        """The tag's leading version component (``"8"`` for ``8.4``), or ``""``."""
        head = self.tag.split("-")[0].split(".")[0]
        return head if is_digits(head) else ""


def _split(text: str) -> tuple[str, str]:
    name = text.strip().split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    parts = name.lower().split("/")
    registry = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, parts = parts[0], parts[1:]
    if registry in ("",) + DOCKER_HUB and len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts), tag


def _server_image(family: str, wrapper: str, program: str, alpine: bool) -> ImageInfo:
    """An official server image whose entrypoint script execs its arguments."""
    return ImageInfo(family, (wrapper,), (program,), nc="busybox" if alpine else "", busybox=alpine)


def _python(alpine: bool) -> ImageInfo:
    return ImageInfo("python", (), ("python3",), nc="busybox" if alpine else "", python=True, busybox=alpine)


_SCRATCH = {
    "hashicorp/http-echo": ImageInfo("http-echo", ("/http-echo",), (), shell=False),
    "traefik/whoami": ImageInfo("whoami", ("/whoami",), (), shell=False),
    "containous/whoami": ImageInfo("whoami", ("/whoami",), (), shell=False),
    "google-samples/hello-app": ImageInfo("hello-app", (), ("/hello-app",), shell=False),
    "google-samples/containers/gke/hello-app": ImageInfo("hello-app", (), ("/hello-app",), shell=False),
    "pause": ImageInfo("pause", ("/pause",), (), shell=False),
}

_AGNHOST = ImageInfo("agnhost", ("/agnhost",), ("pause",), nc="openbsd", busybox=True)

_BASE = {
    "busybox": ImageInfo("base", (), ("sh",), nc="busybox", busybox_httpd=True, busybox=True),
    "alpine": ImageInfo("base", (), ("/bin/sh",), nc="busybox", busybox=True),
    "curlimages/curl": ImageInfo("curl", ("/entrypoint.sh",), ("curl",), nc="busybox", busybox=True),
    "nicolaka/netshoot": ImageInfo("base", (), ("zsh",), nc="openbsd", busybox=True),
    "ubuntu": ImageInfo("base", (), ("/bin/bash",)),
    "debian": ImageInfo("base", (), ("bash",)),
}


def _catalogue(path: str, tag: str) -> ImageInfo | None:
    alpine = "alpine" in tag
    if path in _SCRATCH:
        return _SCRATCH[path]
    if path in ("e2e-test-images/agnhost", "kubernetes-e2e-test-images/agnhost"):
        return _AGNHOST
    if path in _BASE:
        return _BASE[path]
    if path in ("nginx", "nginxinc/nginx-unprivileged"):
        family = "nginx" if path == "nginx" else "nginx-unprivileged"
        return ImageInfo(
            family, ("/docker-entrypoint.sh",), ("nginx", "-g", "daemon off;"),
            nc="busybox" if alpine else "", busybox=alpine,
        )
    if path == "httpd":
        return ImageInfo("httpd", (), ("httpd-foreground",), nc="busybox" if alpine else "", busybox=alpine)
    programs = {"mysql": "mysqld", "mariadb": "mariadbd", "postgres": "postgres", "redis": "redis-server"}
    if path in programs:
        return _server_image(path, "docker-entrypoint.sh", programs[path], alpine)
    if path == "influxdb":
        return _server_image("influxdb", "/entrypoint.sh", "influxd", alpine)
    if path.rsplit("/", 1)[-1].startswith("python"):
        return _python(alpine)
    return None


def parse_image(text: str) -> ImageRef:
    """Split ``text`` and look it up in the catalogue (``info`` is None when unknown)."""
    path, tag = _split(text or "")
    return ImageRef(text or "", path, tag, _catalogue(path, tag))
