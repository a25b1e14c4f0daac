"""A status page's branding as the public page shows it: an accent colour made readable,
footer links and a favicon, each re-checked here (the API's answer is input too).

The accent reaches the page only as `#rrggbb` inside one small inline style whose SHA-256
the page's Content-Security-Policy names; nothing else inline is allowed to style it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

from frontend import shapes
from shared import names

HEX = re.compile(names.ACCENT_COLOR_PATTERN)
HOST = re.compile(r"^[a-z0-9.-]+$")  # a favicon's host, as it may go into the CSP
BACKGROUND = (0xF6, 0xF7, 0xF9)  # the page's --bg, which links are read on
MIN_CONTRAST = 4.5  # WCAG AA for body text
# Everything the pages need comes from this origin; no inline script, no third party. A
# branded status page widens it by its own inline style's hash and its favicon's origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)


def readable(color: str) -> str:
    """The colour, darkened just enough to be read as text on the page's background."""
    rgb = _rgb(color)
    step = 0
    while contrast(rgb, BACKGROUND) < MIN_CONTRAST and step < 20:
        step += 1
        rgb = (round(rgb[0] * 0.9), round(rgb[1] * 0.9), round(rgb[2] * 0.9))
    return _hex(rgb)


def text_on(color: str) -> str:
    """Black or white, whichever reads better on the colour."""
    rgb = _rgb(color)
    return "#000000" if contrast(rgb, (0, 0, 0)) >= contrast(rgb, (255, 255, 255)) else "#ffffff"


def style(page: dict[str, Any]) -> str | None:
    """The inline style of a branded page, or None: built from a checked #rrggbb only."""
    accent = page.get("accent_color")
    if not isinstance(accent, str) or not HEX.match(accent):
        return None
    accent = accent.lower()
    link = readable(accent)
    return (
        f":root{{--accent:{link};--accent-text:{text_on(link)};--brand:{accent};"
        f"--brand-text:{text_on(accent)}}}"
    )


def style_hash(text: str) -> str:
    """The CSP source that allows exactly this inline style."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def footer_links(page: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for link in shapes.as_list(page.get("footer_links"))[: names.MAX_FOOTER_LINKS]:
        if not isinstance(link, dict):
            continue
        label, url = link.get("label"), link.get("url")
        if (
            isinstance(label, str)
            and isinstance(url, str)
            and label.strip()
            and urlsplit(url).scheme.lower() in ("http", "https")
        ):
            out.append({"label": label, "url": url})
    return out


def favicon(page: dict[str, Any]) -> tuple[str, str] | None:
    """(the favicon's URL, its origin for img-src) or None when there is none to show."""
    url = page.get("favicon_url")
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() != "https" or not HOST.match(host):
        return None
    return url, f"https://{host}" + (f":{port}" if port else "")


def csp(base: str, style_text: str | None, icon_origin: str | None) -> str:
    """The app's policy, widened by the page's own inline style and favicon origin only."""
    policy = base
    if style_text is not None:
        policy = policy.replace("style-src 'self'", f"style-src 'self' {style_hash(style_text)}")
    if icon_origin is not None:
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {icon_origin}")
    return policy
