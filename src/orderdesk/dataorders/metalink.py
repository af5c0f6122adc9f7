"""Metalink 4 (RFC 5854) of an order: every file with its size, MD5 and one link, for download
tools that fetch a list of files and ask again while a file answers 202."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from orderdesk import __version__
from orderdesk.dataorders.zipping import unique_name

MEDIA_TYPE = "application/metalink4+xml"
_NAMESPACE = "urn:ietf:params:xml:ns:metalink"


def render(files: Sequence[Any], link: Callable[[Any], str], published: datetime) -> bytes:
    """`files` are rows of data_order_file; `link(row)` is the URL that downloads one."""
    root = ElementTree.Element("metalink", xmlns=_NAMESPACE)
    ElementTree.SubElement(root, "generator").text = f"orderdesk/{__version__}"
    ElementTree.SubElement(root, "published").text = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    names: set[str] = set()
    for row in files:
        name = unique_name(row.filename, names)
        names.add(name)
        entry = ElementTree.SubElement(root, "file", name=name)
        ElementTree.SubElement(entry, "identity").text = row.product_id
        ElementTree.SubElement(entry, "size").text = str(row.size)
        ElementTree.SubElement(entry, "hash", type="md5").text = row.md5
        ElementTree.SubElement(entry, "url").text = link(row)
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
