"""Files in, one document model out.

`parse_file(path)` sniffs the real type of a file, reads it with the reader for
that format into a flat list of blocks and builds the numbered structure.
"""
from parsers.api import parse_bytes, parse_file
from parsers.errors import ParseError
from parsers.model import Act, Block, Unit

__all__ = ["Act", "Block", "Unit", "ParseError", "parse_file", "parse_bytes"]
