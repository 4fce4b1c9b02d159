"""Encryption at rest for the vault: AES-256-GCM under per-workspace data keys, wrapped by a master key.

The master key is ``MLYARD_MASTER_KEY`` (base64 of 32 bytes) or, without it, the key file at
``Settings.master_key_path`` (``MLYARD_HOME/master.key``), which the server creates on its first
start, atomically and readable by its owner only. Every ciphertext is bound to where it belongs
(associated data), so that a value copied onto another secret, version or workspace fails to
decrypt instead of answering the wrong value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mlyard.core.errors import MasterKeyError, VaultIntegrityError
from mlyard.core.settings import Mode, Settings

log = logging.getLogger("mlyard.vault")

KEY_BYTES = 32
NONCE_BYTES = 12
MASTER_KEY_ENV = "MLYARD_MASTER_KEY"
MAKE_A_KEY = 'python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'


@dataclass(frozen=True)
class MasterKey:
    """The key that wraps every data key; ``source`` says where it came from, for messages."""

    key: bytes = field(repr=False)
    source: str

    @property
    def key_id(self) -> str:
        """A fingerprint stored beside each wrapped key, so that a wrong master key is named as such."""
        return hmac.new(self.key, b"mlyard master key id", hashlib.sha256).hexdigest()[:16]

    def wrap(self, data_key: bytes, context: bytes) -> tuple[bytes, bytes]:
        return seal(self.key, data_key, context)

    def unwrap(self, nonce: bytes, wrapped: bytes, context: bytes, key_id: str) -> bytes:
        if not hmac.compare_digest(key_id, self.key_id):
            raise MasterKeyError(
                f"This workspace's vault was sealed with master key {key_id}, but the server's master key "
                f"is {self.key_id}: the operator must start the server with the master key the vault was "
                f"created with ({MASTER_KEY_ENV} or the original master.key file).",
                target="masterKey",
            )
        return open_sealed(self.key, nonce, wrapped, context, what="the vault's data key")


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, plaintext: bytes, context: bytes) -> tuple[bytes, bytes]:
    """AES-256-GCM with a fresh random nonce: answers ``(nonce, ciphertext)``."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, context)


def open_sealed(key: bytes, nonce: bytes, ciphertext: bytes, context: bytes, *, what: str) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, context)
    except (InvalidTag, ValueError):
        raise VaultIntegrityError(
            f"{what[0].upper()}{what[1:]} failed its integrity check: the stored ciphertext was altered or "
            "moved from another secret. Set the secret again; restore the database if this recurs.",
            target="vault",
        ) from None


def _context(purpose: str, *parts: str | int) -> bytes:
    # JSON keeps the parts apart unambiguously, whatever characters they hold.
    return json.dumps([purpose, *parts], separators=(",", ":")).encode()


def data_key_context(vault_id: str, workspace_id: str, key_version: int) -> bytes:
    return _context("mlyard/vault/data-key", vault_id, workspace_id, key_version)


def secret_context(workspace_id: str, name_key: str, version: int) -> bytes:
    return _context("mlyard/vault/secret", workspace_id, name_key, version)


# -- the master key ------------------------------------------------------------------------


def parse_master_key(text: str, source: str) -> bytes:
    """The 32 bytes that ``text`` encodes in base64 (standard or URL-safe); refuses anything else."""
    cleaned = "".join(text.split()).replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or len(raw) != KEY_BYTES:
        found = "is not valid base64" if raw is None else f"decodes to {len(raw)} bytes"
        raise MasterKeyError(
            f"The master key in {source} {found}: it must be the base64 encoding of exactly "
            f"{KEY_BYTES} random bytes. Make one with: {MAKE_A_KEY}",
            target="masterKey",
        )
    return raw


def create_key_file(path: Path) -> bool:
    """Write a new random master key to ``path`` unless one is there; answers whether it wrote one.

    The key is written to a private temporary file (mode 0600 from its creation, so no other
    user can ever read it) and linked into place, which fails if another process got there
    first: nobody sees a half-written key, and two servers starting together agree on one.
    """
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(new_data_key()).decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def check_key_file(path: Path, mode: Mode) -> None:
    """Refuse (production) or warn about (development) a key file that others may read or change."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise MasterKeyError(f"The master key file {path} is not a regular file.", target="masterKeyFile")
    loose = stat.S_IMODE(st.st_mode) & 0o077
    if not loose:
        return
    problem = (
        f"The master key file {path} has mode {stat.S_IMODE(st.st_mode):04o}: other users may read it. "
        f"Run 'chmod 600 {path}'"
    )
    if mode is Mode.PRODUCTION:
        raise MasterKeyError(problem + " before starting the server in production.", target="masterKeyFile")
    log.warning("%s (refused in production).", problem)


_lock = threading.Lock()
_loaded: dict[tuple[str, Path, Mode], MasterKey] = {}


def load_master_key(settings: Settings) -> MasterKey:
    """The server's master key, loaded once: from ``MLYARD_MASTER_KEY``, else the key file, which
    is created on first use."""
    env = settings.master_key.get_secret_value() if settings.master_key is not None else ""
    path = settings.master_key_path
    cache_key = (hashlib.sha256(env.encode()).hexdigest(), path, settings.mode)
    with _lock:
        found = _loaded.get(cache_key)
        if found is None:
            found = _load(env, path, settings.mode)
            _loaded[cache_key] = found
    return found


def _load(env: str, path: Path, mode: Mode) -> MasterKey:
    if env.strip():
        return MasterKey(parse_master_key(env, MASTER_KEY_ENV), MASTER_KEY_ENV)
    if create_key_file(path):
        log.warning(
            "Created the vault's master key file %s: back it up, since secrets cannot be read without it "
            "(or set %s on every server that shares this database).",
            path,
            MASTER_KEY_ENV,
        )
    check_key_file(path, mode)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(
            f"Cannot read the master key file {path} ({type(exc).__name__}): check its owner and mode (0600).",
            target="masterKeyFile",
        ) from None
    return MasterKey(parse_master_key(text, str(path)), str(path))
