"""Entry points: a path or bytes in, an `Act` out, or a `ParseError`."""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from parsers.errors import ParseError
from parsers.model import Act, Block
from parsers.sniff import sniff

MAX_BYTES = 50 * 1024 * 1024  # larger files are refused before they are read

# format -> module with `read(data: bytes, name: str) -> Read`
READERS = {
    "docx": "parsers.read_docx",
    "pdf": "parsers.read_pdf",
    "txt": "parsers.read_text",
    "md": "parsers.read_text",
    "html": "parsers.read_text",
    "rtf": "parsers.read_text",
}


@dataclass
class Read:
    """What a reader hands to the structure builder."""

    blocks: list[Block]
    warnings: list[str] = field(default_factory=list)
    title_hint: str | None = None   # a title the format marks as such (md '# ', html <title>)


def parse_file(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> Act:
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ParseError(f"cannot read file ({exc.strerror})") from None
    if p.is_dir():
        raise ParseError("is a folder, not a file")
    if size > max_bytes:
        raise ParseError(f"too large: {size} bytes, the limit is {max_bytes} bytes")
    return parse_bytes(p.read_bytes(), p.name, max_bytes=max_bytes)


def parse_bytes(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> Act:
    if len(data) > max_bytes:
        raise ParseError(f"too large: {len(data)} bytes, the limit is {max_bytes} bytes")
    fmt = sniff(data, Path(name).suffix)
    module = importlib.import_module(READERS[fmt])
    if fmt in ("txt", "md", "html", "rtf"):
        read: Read = module.read(data, name, fmt)
    else:
        read = module.read(data, name)
    from parsers.structure import build_act  # noqa: PLC0415 - keeps readers importable alone

    if not any(b.text.strip() or b.cells for b in read.blocks):
        raise ParseError("no text found in the document")
    return build_act(read, file=name, fmt=fmt)
