"""Every cryptographic algorithm the project uses, behind one module (等保 数据完整性/保密性;
GB/T 39786 商用密码: a deployment may select SM3/SM4 where its OpenSSL provides them).

- MAC of the audit chain: HMAC-SHA-256 (default) or HMAC-SM3;
- AEAD of personal data at rest: AES-256-GCM (default) or SM4-GCM;
- blind index (keyed hash for exact-match lookups): the MAC algorithm;
- signatures of audit checkpoints and backup manifests: Ed25519.

No Flask, no SQLAlchemy: pure functions over bytes and hex strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAC_ALGORITHMS = ("hmac-sha256", "hmac-sm3")
AEAD_ALGORITHMS = {"aes-256-gcm": 32, "sm4-gcm": 16}  # name -> key length in bytes


class DecryptionError(Exception):
    """Ciphertext that does not open under the key: wrong key, or altered bytes."""


def new_key(length: int = 32) -> str:
    return os.urandom(length).hex()


def mac(algorithm: str, key_hex: str, message: str) -> str:
    """Hex MAC of ``message`` (UTF-8) under ``key_hex``."""
    digest = {"hmac-sha256": hashlib.sha256, "hmac-sm3": "sm3"}[algorithm]
    return hmac.new(bytes.fromhex(key_hex), message.encode(), digest).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a, b)


def fingerprint(key_hex: str) -> str:
    """A key check value: names a key without revealing it (safe to print or store)."""
    return hmac.new(bytes.fromhex(key_hex), b"petition_flow key check", hashlib.sha256
                    ).hexdigest()[:16]


# --- AEAD -------------------------------------------------------------------------------

def seal(algorithm: str, key_hex: str, plaintext: str, aad: bytes) -> str:
    """Encrypt and authenticate; returns urlsafe base64 of nonce || ciphertext || tag."""
    key, nonce = bytes.fromhex(key_hex), os.urandom(12)
    data = plaintext.encode()
    if algorithm == "aes-256-gcm":
        body = AESGCM(key).encrypt(nonce, data, aad)
    else:
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(data) + enc.finalize() + enc.tag
    return base64.urlsafe_b64encode(nonce + body).decode()


def seal_bytes(algorithm: str, key_hex: str, data: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate bytes (files at rest); returns nonce || ciphertext || tag."""
    key, nonce = bytes.fromhex(key_hex), os.urandom(12)
    if algorithm == "aes-256-gcm":
        return nonce + AESGCM(key).encrypt(nonce, data, aad)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    return nonce + enc.update(data) + enc.finalize() + enc.tag


def open_bytes(algorithm: str, key_hex: str, raw: bytes, aad: bytes) -> bytes:
    try:
        key, nonce, body = bytes.fromhex(key_hex), raw[:12], raw[12:]
        if algorithm == "aes-256-gcm":
            return AESGCM(key).decrypt(nonce, body, aad)
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-16:])).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(body[:-16]) + dec.finalize()
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError(str(exc)) from None


def open_sealed(algorithm: str, key_hex: str, token: str, aad: bytes) -> str:
    try:
        raw = base64.urlsafe_b64decode(token.encode())
        key, nonce, body = bytes.fromhex(key_hex), raw[:12], raw[12:]
        if algorithm == "aes-256-gcm":
            return AESGCM(key).decrypt(nonce, body, aad).decode()
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-16:])).decryptor()
        dec.authenticate_additional_data(aad)
        return (dec.update(body[:-16]) + dec.finalize()).decode()
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError(str(exc)) from None


# --- Ed25519 ----------------------------------------------------------------------------

def new_signing_key() -> str:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption()).hex()


def _private(private_hex: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))


def sign(private_hex: str, message: str) -> str:
    return base64.b64encode(_private(private_hex).sign(message.encode())).decode()


def public_pem(private_hex: str) -> str:
    return _private(private_hex).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def public_fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_signature(public: Ed25519PublicKey, message: str, signature_b64: str) -> bool:
    try:
        public.verify(base64.b64decode(signature_b64.encode()), message.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


# --- passphrase (keys in a backup) --------------------------------------------------------

def seal_with_passphrase(passphrase: str, plaintext: str) -> dict:
    salt = os.urandom(16)
    key = hashlib.scrypt(passphrase.encode(), salt=salt, n=2**15, r=8, p=1, maxmem=64 << 20,
                         dklen=32)
    return {"kdf": "scrypt", "n": 2**15, "r": 8, "p": 1, "salt": salt.hex(),
            "aead": "aes-256-gcm", "sealed": seal("aes-256-gcm", key.hex(), plaintext, b"keys")}


def open_with_passphrase(passphrase: str, blob: dict) -> str:
    key = hashlib.scrypt(passphrase.encode(), salt=bytes.fromhex(blob["salt"]), n=blob["n"],
                         r=blob["r"], p=blob["p"], maxmem=64 << 20, dklen=32)
    return open_sealed(blob["aead"], key.hex(), blob["sealed"], b"keys")
