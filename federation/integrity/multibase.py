"""Multibase base58btc: the ``z``-prefixed text that carries keys and proof values.

The alphabet is Bitcoin's (no ``0``, ``O``, ``I`` or ``l``); each leading zero byte is written
as a leading ``1``. Only base58btc is read: it is the one encoding that eddsa-jcs-2022 proof
values and Multikey keys use, so a value in any other multibase encoding is refused.
"""

from __future__ import annotations

BASE58BTC_PREFIX = "z"
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_DIGIT_OF = {char: digit for digit, char in enumerate(ALPHABET)}

# Decoding is quadratic in the length of the text, and the text comes from remote servers: the
# longest value we read is a 64-byte signature (at most 88 characters).
MAX_ENCODED_LENGTH = 128


def encode_multibase(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, digit = divmod(number, 58)
        digits.append(ALPHABET[digit])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return BASE58BTC_PREFIX + "1" * leading_zeros + "".join(reversed(digits))


def decode_multibase(value: str) -> bytes:
    """The bytes of a base58btc multibase string; ValueError for anything else."""
    if not value.startswith(BASE58BTC_PREFIX):
        raise ValueError("not base58btc multibase (no 'z' prefix)")
    text = value[len(BASE58BTC_PREFIX) :]
    if len(text) > MAX_ENCODED_LENGTH:
        raise ValueError(f"base58btc value longer than {MAX_ENCODED_LENGTH} characters")
    number = 0
    for char in text:
        digit = _DIGIT_OF.get(char)
        if digit is None:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + digit
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * leading_zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
