"""Personal data encrypted at rest (个人信息保护法 第五十一条; 等保 数据保密性: personal
information protected cryptographically in storage).

``Sealed`` is a column type: values are encrypted (AES-256-GCM by default, SM4-GCM if the key
file says so) on their way into the database and decrypted on the way out, so the code above
it — the disclosure policy, the pages, the API — reads plaintext exactly as before and decides
as before who sees it unmasked. Stored form: ``<key id>:<base64 nonce||ciphertext||tag>``,
authenticated together with the column's name (a value moved to another column does not open).
Equality on a sealed column cannot work (each encryption differs): exact-match lookups go
through the keyed blind index beside it (``Keyring.blind_index``).
"""

from __future__ import annotations

from sqlalchemy import Text, TypeDecorator

from . import crypto, keys


def seal_value(column: str, value: str, ring: keys.Keyring | None = None) -> str:
    ring = ring or keys.active()
    token = crypto.seal(ring.aead, ring.data_keys[ring.current], value, column.encode())
    return f"{ring.current}:{token}"


def open_value(column: str, stored: str, ring: keys.Keyring | None = None) -> str:
    ring = ring or keys.active()
    key_id, _, token = stored.partition(":")
    key = ring.data_keys.get(key_id)
    if key is None:
        raise keys.KeysError(f"信访人信息是用数据加密密钥 {key_id} 加密的，但密钥文件中没有该密钥。"
                             "请恢复包含该密钥的密钥文件（轮换后的旧密钥须保留）。")
    try:
        return crypto.open_sealed(ring.aead, key, token, column.encode())
    except crypto.DecryptionError:
        raise keys.KeysError("信访人信息无法解密：数据加密密钥与数据库不符，或密文被改动。"
                             "请确认使用的是本系统的密钥文件。") from None


def key_id_of(stored: str | None) -> str | None:
    return None if stored is None else stored.partition(":")[0]


class Sealed(TypeDecorator):
    """Text encrypted with the instance's current data key; ``column`` names it (AAD)."""

    impl = Text
    cache_ok = True

    def __init__(self, column: str):
        super().__init__()
        self.column = column

    def process_bind_param(self, value, dialect):
        return None if value is None else seal_value(self.column, value)

    def process_result_value(self, value, dialect):
        return None if value is None else open_value(self.column, value)
