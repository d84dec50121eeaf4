"""The keyed half of the audit chain (issue 12; 等保 安全审计: records protected against
modification).

The SHA-256 chain (services/audit.py) shows any change to an entry, but whoever can write the
database can recompute it. Each entry therefore also carries ``mac = HMAC(K, seq, hash)`` and
the head row ``HMAC(K, "head", seq, hash)``, with ``K`` in the instance's key file, never in
the database (keys.py). ``hash`` already covers every earlier entry, so one MAC per entry
authenticates the whole history up to it; a chain recomputed with the project's own unkeyed
``chain_hash`` fails here at its first rewritten entry, and a head moved back onto an earlier
entry fails its own MAC.

HMAC-SHA-256 is the default: in every Python's standard library, FIPS 198 / RFC 2104, and the
same hash family as the chain. HMAC-SM3 (GB/T 32905) is selected in the key file
(``"mac": {"algorithm": "hmac-sm3"}``) where the platform's OpenSSL provides SM3, for a
deployment assessed under GB/T 39786; the algorithm lives in crypto.py only.
"""

from __future__ import annotations

from .. import crypto
from ..keys import Keyring, active


def entry_mac(entry, ring: Keyring | None = None) -> str:
    return (ring or active()).mac(f"entry\n{entry.seq}\n{entry.hash}")


def head_mac(seq: int, hash_: str, ring: Keyring | None = None) -> str:
    return (ring or active()).mac(f"head\n{seq}\n{hash_}")


def entry_mac_ok(entry, ring: Keyring) -> bool:
    return crypto.same(entry.mac, entry_mac(entry, ring))


def head_mac_ok(head, ring: Keyring) -> bool:
    return crypto.same(head.mac, head_mac(head.seq, head.hash, ring))
