"""Chain names exactly as kube-proxy (iptables mode) and the CNI portmap plugin compute them.

Sources:

* kubernetes ``pkg/proxy/iptables/proxier.go`` (v1.29–1.33): ``portProtoHash`` and the
  ``servicePortPolicyClusterChain`` / ``servicePortPolicyLocalChainName`` /
  ``serviceExternalChainName`` / ``serviceFirewallChainName`` / ``servicePortEndpointChainName``
  helpers. The hash input is the ``ServicePortName`` string (``ns/svc:port``, or ``ns/svc``
  for an unnamed port, see ``pkg/proxy/types.go``) followed by the *lower-case* protocol; an
  endpoint chain also appends the endpoint's ``ip:port``. The name is the prefix plus the
  first 16 characters of the standard (padded, upper-case) base32 encoding of the SHA-256.
  Check: ``default/kubernetes:https`` over TCP is the well-known ``KUBE-SVC-NPX46M4PTMTKRN6Y``.
* containernetworking/plugins ``pkg/utils/utils.go`` ``MustFormatChainNameWithPrefix``: the
  per-sandbox portmap chain is ``CNI-DN-`` followed by the hex SHA-512 of
  ``network name + container id``, cut to 28 characters in all.
"""

from __future__ import annotations

import hashlib

from grader.records import frozen

__all__ = [
    "CNI_CHAIN_LENGTH",
    "ServiceChains",
    "clear_hash_memo",
    "cni_dnat_chain",
    "endpoint_chain",
    "external_chain",
    "firewall_chain",
    "hash16",
    "local_chain",
    "port_proto_hash",
    "service_chain",
    "service_chains",
    "service_port_name",
]

SVC_PREFIX = "KUBE-SVC-"
SVL_PREFIX = "KUBE-SVL-"
EXT_PREFIX = "KUBE-EXT-"
FW_PREFIX = "KUBE-FW-"
SEP_PREFIX = "KUBE-SEP-"
CNI_DN_PREFIX = "CNI-DN-"
CNI_CHAIN_LENGTH = 28  # portmap's maxChainLength (the iptables limit is 28 characters)


def service_port_name(namespace: str, name: str, port_name: str) -> str:
    """``ServicePortName.String()``: ``ns/svc:port``, or ``ns/svc`` when the port has no name."""
    base = f"{namespace}/{name}"
    return f"{base}:{port_name}" if port_name else base


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32, Go's base32.StdEncoding
_PAIRS = tuple(a + b for a in _B32 for b in _B32)  # every 10-bit value as two base32 digits


_MEMO: dict[str, str] = {}
_MEMO_MAX = 500_000  # about 40 MB at most; every node's rules reuse the same names


def _hash16(text: str) -> str:
    """The first 16 base32 characters of sha256(text): exactly its first 10 bytes (80 bits).

    Same result as ``base64.b32encode(digest)[:16]`` (Go's ``base32.StdEncoding``), faster,
    and remembered: each node's kube-proxy hashes the same service and endpoint names.
    """
    found = _MEMO.get(text)
    if found is not None:
        return found
    digest = hashlib.sha256(text.encode()).digest()
    a, b = int.from_bytes(digest[:5], "big"), int.from_bytes(digest[5:10], "big")  # 2 x 40 bits
    p = _PAIRS
    found = "".join((p[a >> 30], p[(a >> 20) & 1023], p[(a >> 10) & 1023], p[a & 1023],
                     p[b >> 30], p[(b >> 20) & 1023], p[(b >> 10) & 1023], p[b & 1023]))
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[text] = found
    return found


hash16 = _hash16
"""The hash of every chain name, for writers that build the hashed text themselves."""


def clear_hash_memo() -> None:
    """Forget the remembered hashes (for measuring a cold build; results never change)."""
    _MEMO.clear()


def port_proto_hash(service_port: str, protocol: str) -> str:
    """``portProtoHash``: 16 base32 characters of sha256(``ns/svc:port`` + lower-case protocol)."""
    return _hash16(service_port + protocol.lower())


def service_chain(service_port: str, protocol: str) -> str:
    """``KUBE-SVC-<hash>``: the Cluster-policy endpoint chain of a service port."""
    return SVC_PREFIX + port_proto_hash(service_port, protocol)


def local_chain(service_port: str, protocol: str) -> str:
    """``KUBE-SVL-<hash>``: the Local-policy endpoint chain (same hash as the SVC chain)."""
    return SVL_PREFIX + port_proto_hash(service_port, protocol)


def external_chain(service_port: str, protocol: str) -> str:
    """``KUBE-EXT-<hash>``: entry for nodePorts, externalIPs and load-balancer IPs."""
    return EXT_PREFIX + port_proto_hash(service_port, protocol)


def firewall_chain(service_port: str, protocol: str) -> str:
    """``KUBE-FW-<hash>``: the ``loadBalancerSourceRanges`` filter chain."""
    return FW_PREFIX + port_proto_hash(service_port, protocol)


def endpoint_chain(service_port: str, protocol: str, endpoint: str) -> str:
    """``KUBE-SEP-<hash>``: sha256 of ``ns/svc:port`` + protocol + ``ip:port`` of the endpoint."""
    return SEP_PREFIX + _hash16(service_port + protocol.lower() + endpoint)


@frozen
class ServiceChains:
    """The four per-service-port chain names, which share one hash."""

    svc: str
    svl: str
    ext: str
    fw: str


def service_chains(service_port: str, protocol: str) -> ServiceChains:
    """All of a service port's chain names, hashing once (as ``newServiceInfo`` stores them)."""
    h = port_proto_hash(service_port, protocol)
    return ServiceChains(SVC_PREFIX + h, SVL_PREFIX + h, EXT_PREFIX + h, FW_PREFIX + h)


def cni_dnat_chain(network_name: str, container_id: str) -> str:
    """portmap's per-sandbox chain: ``CNI-DN-`` + hex sha512(network + container id), 28 chars."""
    digest = hashlib.sha512((network_name + container_id).encode()).hexdigest()
    return (CNI_DN_PREFIX + digest)[:CNI_CHAIN_LENGTH]
