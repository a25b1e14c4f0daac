"""Files to plain data, remembering where each value was written (for errors naming the
file, line and column), refusing duplicate keys and files over the size limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.ascode_format import MAX_FILE_BYTES

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
Where = tuple[Any, ...]  # a path into the document: ("monitors", 0, "tests", 1, "url")


class FileError(Exception):
    """A file that cannot be applied: the message names the file, line and column."""


@dataclass
class Document:
    path: str
    data: dict[str, Any]
    marks: dict[Where, tuple[int, int]] = field(default_factory=dict)  # 1-based line, column

    def at(self, where: Where) -> str:
        """`file:line:column` of the value at `where` (or of its nearest parent)."""
        for cut in range(len(where), -1, -1):
            if where[:cut] in self.marks:
                line, col = self.marks[where[:cut]]
                return f"{self.path}:{line}:{col}"
        return self.path


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(loader: yaml.SafeLoader, node: yaml.Node, where: Where, doc: Document) -> Any:
    doc.marks[where] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                line, col = _mark(key_node)
                raise FileError(f"{doc.path}:{line}:{col}: duplicate key {key!r}")
            out[key] = _build(loader, value_node, (*where, key), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*where, i), doc) for i, item in enumerate(node.value)]
    if node.tag == _TIMESTAMP:
        return node.value  # kept as written: the API takes (and the schema wants) text
    return loader.construct_object(node, deep=True)


def parse(text: str, path: str) -> Document:
    """One YAML document to a Document; FileError with line and column when it does not parse."""
    doc = Document(path, {})
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = {} if node is None else _build(loader, node, (), doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise FileError(f"{where}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise FileError(f"{path}: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise FileError(f"{path}:1:1: the file must be a mapping (monitors:, channels:, ...)")
    doc.data = data
    return doc


def read(path: Path) -> Document:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileError(f"{path}: {size} bytes, over the limit of {MAX_FILE_BYTES}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    return parse(text, str(path))


def files(target: Path) -> list[Path]:
    """The file, or every *.yaml / *.yml of the folder, in name order."""
    if target.is_dir():
        found = sorted(p for p in target.iterdir() if p.suffix in (".yaml", ".yml"))
        if not found:
            raise FileError(f"{target}: no .yaml or .yml file in the folder")
        return found
    if not target.exists():
        raise FileError(f"{target}: no such file")
    return [target]
