"""Backups that restore: the database, the stored files and a manifest, in one encrypted archive.

Layout of an archive (``tinhso backup DEST``)::

    b"TINHSO-BACKUP\\x01\\n"  then one JSON line: {"kdf": "scrypt", "salt", "n", "r", "p",
                                                  "chunk"}
    then frames: 4-byte big-endian length, 12-byte nonce, AES-256-GCM ciphertext + tag

The plaintext is a gzip-compressed tar stream: ``manifest.json`` first (what is inside, with the
SHA-256 and size of every member), then ``database/…`` (SQLite: a copy taken with SQLite's online
backup API; PostgreSQL: ``pg_dump`` custom format — both consistent snapshots taken while the
platform serves), then ``media/…`` (every stored file). Files are copied after the database
snapshot: stored files are never deleted while a committed row references them, so every file
the dump references is in the archive.

Each frame's associated data binds it to the header, its index and whether it is the last one:
a frame that is altered, reordered, dropped or cut off fails authentication, and restore stops.
The key comes from a passphrase (scrypt) that is never written into the archive; the private keys
of the PKI travel inside the database already encrypted with the PKI passphrase.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"TINHSO-BACKUP\x01\n"
CHUNK = 1024 * 1024
SCRYPT = {"n": 2**15, "r": 8, "p": 1}


class BackupError(Exception):
    """The archive cannot be read: wrong passphrase, altered, truncated, or not an archive."""


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if len(passphrase) < 12:
        raise BackupError("the backup passphrase must have at least 12 characters")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _aad(header_hash: bytes, index: int, final: bool) -> bytes:
    return header_hash + struct.pack(">Q?", index, final)


class EncryptingWriter(io.RawIOBase):
    """A write-only file object: bytes written are encrypted frame by frame into ``out``."""

    def __init__(self, out: IO[bytes], passphrase: str) -> None:
        salt = secrets.token_bytes(16)
        header = json.dumps({"kdf": "scrypt", "salt": salt.hex(), **SCRYPT, "chunk": CHUNK},
                            sort_keys=True).encode() + b"\n"
        self._out = out
        self._aead = AESGCM(_key(passphrase, salt, **SCRYPT))
        self._header_hash = hashlib.sha256(MAGIC + header).digest()
        self._buffer = bytearray()
        self._index = 0
        out.write(MAGIC + header)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._frame(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _frame(self, plain: bytes, *, final: bool) -> None:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plain, _aad(self._header_hash, self._index, final))
        self._out.write(struct.pack(">I", len(sealed)) + nonce + sealed)
        self._index += 1

    def close(self) -> None:
        if not self.closed:
            self._frame(bytes(self._buffer), final=True)  # always one final frame
            self._buffer.clear()
            self._out.flush()
            os.fsync(self._out.fileno())
        super().close()


def decrypted_chunks(src: IO[bytes], passphrase: str) -> Iterator[bytes]:
    if src.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a tinhso backup archive")
    header = src.readline(4096)
    try:
        params = json.loads(header)
        key = _key(passphrase, bytes.fromhex(params["salt"]), int(params["n"]),
                   int(params["r"]), int(params["p"]))
    except (ValueError, KeyError) as exc:
        raise BackupError("the archive's header is damaged") from exc
    aead = AESGCM(key)
    header_hash = hashlib.sha256(MAGIC + header).digest()
    index = 0
    while True:
        size_bytes = src.read(4)
        if len(size_bytes) < 4:
            raise BackupError("the archive is truncated (no final frame)")
        (size,) = struct.unpack(">I", size_bytes)
        if size > CHUNK + 16:
            raise BackupError("the archive is damaged (frame too large)")
        nonce, sealed = src.read(12), src.read(size)
        if len(sealed) < size:
            raise BackupError("the archive is truncated")
        plain: bytes | None = None
        final = False
        for final in (False, True):
            try:
                plain = aead.decrypt(nonce, sealed, _aad(header_hash, index, final))
                break
            except InvalidTag:
                continue
        if plain is None:
            raise BackupError("wrong passphrase, or the archive was altered")
        yield plain
        index += 1
        if final:
            if src.read(1):
                raise BackupError("data after the final frame")
            return


class DecryptingReader(io.RawIOBase):
    """A read-only file object over the decrypted plaintext (for ``tarfile`` streaming)."""

    def __init__(self, src: IO[bytes], passphrase: str) -> None:
        self._chunks = decrypted_chunks(src, passphrase)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


@dataclass
class Member:
    name: str
    size: int
    sha256: str


def sha256_file(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
