"""iPhone photos (HEIC/HEIF): read when the pillow-heif plug-in is installed, otherwise named with
how to convert them, wherever they turn up (a class folder, ``open_image``, ``learn.predict``).

    heic_help(first_12_bytes, "IMG_0001.HEIC")   # HEIC_HELP without pillow-heif, else None
"""

from __future__ import annotations

__all__ = ["HEIC_EXTENSIONS", "HEIC_HELP", "HEIC_READABLE", "HEIF_BRANDS", "heic_help"]

HEIC_EXTENSIONS = (".heic", ".heif")

HEIC_HELP = (
    "iPhone photos (HEIC) need the pillow-heif plug-in: `pip install pillow-heif`, then restart "
    "the kernel. Or convert them to JPEG: on a Mac `sips -s format jpeg IMG.HEIC --out IMG.jpg`, "
    "elsewhere `heif-convert IMG.HEIC IMG.jpg` (libheif) or `magick mogrify -format jpg *.heic`; "
    "on the iPhone, Settings -> Camera -> Formats -> Most Compatible saves JPEGs."
)

# A HEIF file opens with an ISO-BMFF "ftyp" box whose brand (bytes 8-12) names the kind of HEIF.
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1"}


def _heic_readable() -> bool:
    """Register pillow-heif's opener with Pillow when it is installed (coursekit does not require
    it); True if HEIC photos can then be read."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


HEIC_READABLE = _heic_readable()


def heic_help(head: bytes, name: str = "") -> str | None:
    """``HEIC_HELP`` when a file that failed to decode is a HEIC photo this Python cannot read (by
    its name's extension, or by ``head``, its first 12 bytes), else None."""
    if HEIC_READABLE:
        return None
    named = name.lower().endswith(HEIC_EXTENSIONS)
    return HEIC_HELP if named or (head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS) else None
