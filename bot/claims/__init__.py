"""Casualty claims in news text (English and French): every figure, its qualifier and who gives it."""

from .contract import record
from .extract import extract_claims
from .lang import detect_lang
from .text_toll import text_toll

from . import cli  # noqa: E402  (python -m bot claims)

__all__ = ["extract_claims", "text_toll", "record", "detect_lang", "cli"]
