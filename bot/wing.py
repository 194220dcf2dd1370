"""How a wing names what the other wings may use, without importing all of itself up front.

A wing's __init__ lists its public names and the module each lives in; a name is imported the
first time someone asks for it (PEP 562), so importing one part of a wing stays cheap and the
wings cannot trip over each other's import order.
"""

from __future__ import annotations

from importlib import import_module
from typing import Callable


def public_names(package: str, exports: dict[str, str]) -> Callable[[str], object]:
    """The module-level __getattr__ for `package`: name → its object (or the module of that name)."""
    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = import_module(f"{package}.{exports[name]}")
        return module if exports[name] == name else getattr(module, name)
    return __getattr__
