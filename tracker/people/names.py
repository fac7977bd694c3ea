"""How a person's name is shown to someone who may not read it in full."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*: enough for a classmate to recognise, not to copy."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
