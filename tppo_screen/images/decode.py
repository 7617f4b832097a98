"""Bytes → one upright RGB picture, or an `ImageError` that says what is wrong and what to send.

The picture is recognised by its content (`sniff_image`, the format's magic bytes), never by a
file name or a declared type. Limits are checked before any pixel is decoded: the byte count
first, then the width × height the header declares (against `max_pixels`, and against Pillow's
own decompression-bomb limit, `Image.MAX_IMAGE_PIXELS`).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from tppo_screen.errors import ImageError

IMAGE_MAX_BYTES = 10 * 1024 * 1024  # a phone photo as JPEG is 2-6 MB; a screenshot as PNG < 3 MB
IMAGE_MAX_PIXELS = 40_000_000  # a 40-megapixel picture decodes to 120 MB of RGB
ACCEPTED = ("jpeg", "png", "webp", "gif")  # a GIF of one frame only
SEND = "send a JPEG, PNG or WebP picture"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"8BPS", "psd"),
    (b"%PDF-", "pdf"),
)
_ISO_BRANDS = {b"heic": "heic", b"heix": "heic", b"mif1": "heif", b"avif": "avif", b"avis": "avif"}


def sniff_image(head: bytes) -> str | None:
    """The picture format of a file from its first bytes ("jpeg", "png", "webp", "gif", "bmp",
    "tiff", "heic", "heif", "avif", "ico", "psd"; "pdf" too, as people send flyers as PDF), or
    None when they are not those of a picture. 16 bytes are enough."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _ISO_BRANDS:
        return _ISO_BRANDS[head[8:12]]
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def load_image(
    data: bytes, *, max_bytes: int = IMAGE_MAX_BYTES, max_pixels: int = IMAGE_MAX_PIXELS
) -> Image.Image:
    """The picture in `data`, turned upright as its EXIF orientation says, in RGB (transparency
    laid on white, as a viewer shows it). Raises `ImageError` with `kind` "empty", "too_large",
    "not_image", "animated", "too_many_pixels" or "truncated"."""
    if not data:
        raise ImageError("the file is empty (0 bytes): " + SEND, "empty")
    if len(data) > max_bytes:
        raise ImageError(
            f"the picture is {len(data):,} bytes, over the limit of {max_bytes:,}: "
            "save it as JPEG (quality 85) or shrink it to at most 2,000 pixels wide",
            "too_large",
        )
    kind = sniff_image(data[:16])
    if kind is None:
        raise ImageError(f"not a picture (its first bytes match no image format): {SEND}", "not_image")
    if kind not in ACCEPTED:
        raise ImageError(f"a {kind.upper()} file cannot be read: {SEND}", "not_image")
    image = _open(data, kind, max_pixels)
    try:
        image.load()
        upright = ImageOps.exif_transpose(image) or image
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"the {kind.upper()} file is damaged or cut short ({exc}): send the whole file again",
            "truncated",
        ) from None
    return _rgb(upright)


def _open(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """Open (header only, no pixels decoded) and check frames and size."""
    try:
        # catch_warnings swaps the process-wide filter list and is not thread-safe: two threads
        # racing here can leave the "error" filter set, or miss it for one call. Either way a
        # bomb is refused: `max_pixels` (at most 89,000,000 in Settings) is under Pillow's limit.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind.upper()])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(None, max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"the {kind.upper()} file is damaged or cut short ({exc}): send the whole file again",
            "truncated",
        ) from None
    if getattr(image, "n_frames", 1) > 1:
        raise ImageError(f"animated {kind.upper()}: send one frame as PNG/JPEG", "animated")
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels((width, height), max_pixels)
    return image


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> ImageError:
    what = f"{size[0]:,} × {size[1]:,} pixels ({size[0] * size[1] / 1e6:.0f} megapixels)" if size else None
    return ImageError(
        f"the picture is {what or 'too large to decode safely'}, over the limit of "
        f"{max_pixels / 1e6:.0f} megapixels: shrink it (at most 2,000 pixels wide is plenty "
        "for reading text) and send it again",
        "too_many_pixels",
    )


def _rgb(image: Image.Image) -> Image.Image:
    """RGB; a transparent picture laid on white first (dark text on a transparent background
    would otherwise turn black on black)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")
