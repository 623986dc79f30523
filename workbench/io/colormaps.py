"""Colour lookup tables (256 x 3, uint8 RGB) for showing feature maps.

Index ``i`` is the colour of the normalised value ``i / 255``. The GUI can hand a table to
``pyqtgraph.ImageItem.setLookupTable`` so the window and the exported PNGs agree.

``viridis`` and ``inferno`` are the matplotlib colormaps by Nathaniel J. Smith, Stefan van der
Walt and Eric Firing (CC0), rounded to 8 bits as pyqtgraph rounds them (``int(255 * c + 0.5)``).
``diverging`` runs from blue through white to red (ColorBrewer RdBu end and middle colours,
linear in RGB) with white at both middle indices 127 and 128, so zero is white when the
scaling is symmetric.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Table = npt.NDArray[np.uint8]

_VIRIDIS_HEX = (
    "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668"
    "48176948186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979"
    "472a7a472c7a472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84"
    "433d84433e85423f854240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a"
    "3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d"
    "355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e"
    "2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e"
    "297b8e287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e"
    "23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b"
    "1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620a486"
    "21a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d"
    "2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf70"
    "46c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc8635ec96260ca6063cb5f"
    "65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d84d44b86d549"
    "89d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30"
    "b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a"
    "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723"
    "fde725"
)

_INFERNO_HEX = (
    "00000401000501010601010802010a02020c02020e03021004031204031405041706041907051b08051d09061f"
    "0a07220b07240c08260d08290e092b10092d110a30120a32140b34150b37160b39180c3c190c3e1b0c411c0c43"
    "1e0c451f0c48210c4a230c4c240c4f260c51280b53290b552b0b572d0b592f0a5b310a5c320a5e340a5f360961"
    "3809623909633b09643d09653e0966400a67420a68440a68450a69470b6a490b6a4a0c6b4c0c6b4d0d6c4f0d6c"
    "510e6c520e6d540f6d550f6d57106e59106e5a116e5c126e5d126e5f136e61136e62146e64156e65156e67166e"
    "69166e6a176e6c186e6d186e6f196e71196e721a6e741a6e751b6e771c6d781c6d7a1d6d7c1d6d7d1e6d7f1e6c"
    "801f6c82206c84206b85216b87216b88226a8a226a8c23698d23698f2469902568922568932667952667972766"
    "9827669a28659b29649d29649f2a63a02a63a22b62a32c61a52c60a62d60a82e5fa92e5eab2f5ead305dae305c"
    "b0315bb1325ab3325ab43359b63458b73557b93556ba3655bc3754bd3853bf3952c03a51c13a50c33b4fc43c4e"
    "c63d4dc73e4cc83f4bca404acb4149cc4248ce4347cf4446d04545d24644d34743d44842d54a41d74b3fd84c3e"
    "d94d3dda4e3cdb503bdd513ade5238df5337e05536e15635e25734e35933e45a31e55c30e65d2fe75e2ee8602d"
    "e9612bea632aeb6429eb6628ec6726ed6925ee6a24ef6c23ef6e21f06f20f1711ff1731df2741cf3761bf37819"
    "f47918f57b17f57d15f67e14f68013f78212f78410f8850ff8870ef8890cf98b0bf98c0af98e09fa9008fa9207"
    "fa9407fb9606fb9706fb9906fb9b06fb9d07fc9f07fca108fca309fca50afca60cfca80dfcaa0ffcac11fcae12"
    "fcb014fcb216fcb418fbb61afbb81dfbba1ffbbc21fbbe23fac026fac228fac42afac62df9c72ff9c932f9cb35"
    "f8cd37f8cf3af7d13df7d340f6d543f6d746f5d949f5db4cf4dd4ff4df53f4e156f3e35af3e55df2e661f2e865"
    "f2ea69f1ec6df1ed71f1ef75f1f179f2f27df2f482f3f586f3f68af4f88ef5f992f6fa96f8fb9af9fc9dfafda1"
    "fcffa4"
)

DIVERGING_BLUE = (33, 102, 172)
DIVERGING_WHITE = (247, 247, 247)
DIVERGING_RED = (178, 24, 43)


def _from_hex(text: str) -> Table:
    table = np.frombuffer(bytes.fromhex(text), dtype=np.uint8).reshape(256, 3).copy()
    table.setflags(write=False)
    return table


def _ramp(start: tuple[int, int, int], end: tuple[int, int, int],
          n: int) -> npt.NDArray[np.float64]:
    t = np.linspace(0.0, 1.0, n)[:, np.newaxis]
    return np.asarray(start, np.float64) * (1 - t) + np.asarray(end, np.float64) * t


def _gray() -> Table:
    table = np.repeat(np.arange(256, dtype=np.uint8)[:, np.newaxis], 3, axis=1)
    table.setflags(write=False)
    return table


def _diverging() -> Table:
    rows = np.vstack([_ramp(DIVERGING_BLUE, DIVERGING_WHITE, 128),
                      _ramp(DIVERGING_WHITE, DIVERGING_RED, 128)])
    table = np.round(rows).astype(np.uint8)
    table.setflags(write=False)
    return table


COLORMAPS: dict[str, Table] = {
    "gray": _gray(),
    "viridis": _from_hex(_VIRIDIS_HEX),
    "inferno": _from_hex(_INFERNO_HEX),
    "diverging": _diverging(),
}
"""Name -> read-only ``(256, 3)`` uint8 RGB table, in menu order."""


def colormap(name: str) -> Table:
    """Look a colour table up by name.

    Parameters
    ----------
    name : str
        One of :data:`COLORMAPS`' keys.

    Returns
    -------
    numpy.ndarray
        Read-only ``(256, 3)`` uint8 RGB.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the known names.

    Examples
    --------
    >>> colormap("viridis")[0], colormap("diverging")[127]
    (array([68,  1, 84], dtype=uint8), array([247, 247, 247], dtype=uint8))
    """
    try:
        return COLORMAPS[name]
    except KeyError:
        raise ValueError(f"unknown colormap {name!r}; choose one of "
                         f"{', '.join(COLORMAPS)}") from None


def apply_colormap(indices: npt.ArrayLike, name: str) -> Table:
    """Colour an image of 8-bit indices.

    Parameters
    ----------
    indices : array_like of uint8
        Any shape, values 0..255.
    name : str
        Colormap name.

    Returns
    -------
    numpy.ndarray
        uint8 RGB, shape ``indices.shape + (3,)``.

    Raises
    ------
    ValueError
        If the colormap is unknown or ``indices`` is not uint8.

    Examples
    --------
    >>> apply_colormap(np.array([[0, 255]], np.uint8), "gray").tolist()
    [[[0, 0, 0], [255, 255, 255]]]
    """
    idx = np.asarray(indices)
    if idx.dtype != np.uint8:
        raise ValueError(f"indices must be uint8, got dtype {idx.dtype}")
    return np.asarray(colormap(name)[idx], dtype=np.uint8)
