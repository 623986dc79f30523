"""Colour lookup tables (256 x 3, uint8 RGB), one per colormap key of the view options.

Index ``i`` is the colour of the values in the ``i``-th of 256 equal bins between the levels
(see :func:`workbench.render.image.to_indices`). The window and every exporter colour maps
with these tables and nothing else.

``viridis`` and ``inferno`` are the matplotlib colormaps by Nathaniel J. Smith, Stefan van der
Walt and Eric Firing (CC0), rounded to 8 bits as pyqtgraph rounds them (``int(255 * c + 0.5)``).
``CET-D1`` is Peter Kovesi's diverging blue - white - red map (CC-BY 4.0, colorcet), as
pyqtgraph samples it at 256 points. ``red_blue`` is ColorBrewer RdBu, reversed so that negative
is blue and positive red, interpolated linearly in RGB between its five stops.
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

_CET_D1_HEX = (
    "2151db2552db2a53db2e54dc3155dc3556dc3857dc3b58dc3e5add415bdd435cdd465ddd485ede4b5fde4d60de50"
    "61de5262de5464df5665df5866df5a67df5c68df5e6ae0606be0626ce0646de0666ee0686fe16970e16b72e16d73"
    "e16f74e17075e27276e27478e27579e2777ae2797be37a7ce37c7de37d7fe37f80e38181e38282e48484e48585e4"
    "8786e48887e48a88e58b8ae58d8be58e8ce5908ee6918fe69290e69491e69592e69794e69895e79a96e79b97e79c"
    "98e79e9ae79f9be7a09ce8a29ee8a39fe8a4a0e8a6a1e8a7a3e8a8a4e9aaa5e9aba7e9aca8e9aea9e9afaae9b0ac"
    "eab2adeab3aeeab4afeab6b1eab7b2eab8b3ebb9b5ebbbb6ebbcb7ebbdb8ebbebaebc0bbebc1bcecc2bdecc3bfec"
    "c5c0ecc6c2ecc7c3ecc8c4eccac5edcbc7edccc8edcdc9edcfcbedd0ccedd1cdedd2cfeed3d0eed5d1eed6d3eed7"
    "d4eed8d5eedad6eedbd8eedcd9eedddbefdedcefe0ddefe1deefe2dfefe3e1efe4e2efe5e3efe6e4eee8e5eee9e6"
    "eeeae6edeae7edebe7ecece7ebede7eaeee7e9eee7e8efe7e7efe6e6f0e5e4f0e4e2f1e3e1f1e2dff1e1def1e0dc"
    "f1dedaf1ddd8f2dcd6f2dad4f2d8d2f2d7d0f2d5cff2d4cdf2d2caf2d1c9f2cfc7f1cec5f1ccc3f1cac1f1c9bff1"
    "c7bdf1c6bbf1c4b9f1c3b7f1c1b6f1c0b4f0beb2f0bdb0f0bbaef0b9acf0b8aaf0b6a8efb5a7efb3a4efb2a3efb0"
    "a1eeaf9feead9deeac9beeaa99eda897eda796eda594eda492eca290eca18eec9f8deb9e8beb9c89eb9a87ea9985"
    "ea9783ea9682e99480e9937ee9917ce88f7ae88e79e78c77e78b75e78973e68771e68670e5846ee5836ce4816ae4"
    "8069e37e67e37c65e27b63e27962e17860e1765ee0745ce0735bdf7159df6f57de6e55de6c54dd6b52dd6950dc67"
    "4fdb654ddb644bda6249da6048d95f46d85d44d85b43d75a41d7583fd6563dd5543cd5523ad45139d34f37d34d35"
    "d24b34d14932d14730d0452ecf442dcf422bce3f29cd3d28cd3b26cc3924cb3722ca3521ca321fc9301dc82e1cc8"
    "2b1ac72918c62616c52314c52012c41c10c3180ec2140cc2100ac10908c00206"
)

# ColorBrewer RdBu, reversed so that negative is blue and positive is red.
RED_BLUE_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (5, 48, 97)),
    (0.25, (67, 147, 195)),
    (0.5, (247, 247, 247)),
    (0.75, (214, 96, 77)),
    (1.0, (103, 0, 31)),
)


def _from_hex(text: str) -> Table:
    table = np.frombuffer(bytes.fromhex(text), dtype=np.uint8).reshape(256, 3).copy()
    table.setflags(write=False)
    return table


def _gray() -> Table:
    table = np.repeat(np.arange(256, dtype=np.uint8)[:, np.newaxis], 3, axis=1)
    table.setflags(write=False)
    return table


def _from_stops(stops: tuple[tuple[float, tuple[int, int, int]], ...]) -> Table:
    positions = [p for p, _ in stops]
    x = np.linspace(0.0, 1.0, 256)
    rows = np.stack([np.interp(x, positions, [c[i] for _, c in stops]) for i in range(3)],
                    axis=1)
    table = np.round(rows).astype(np.uint8)
    table.setflags(write=False)
    return table


LOOKUP_TABLES: dict[str, Table] = {
    "gray": _gray(),
    "viridis": _from_hex(_VIRIDIS_HEX),
    "inferno": _from_hex(_INFERNO_HEX),
    "CET-D1": _from_hex(_CET_D1_HEX),
    "red_blue": _from_stops(RED_BLUE_STOPS),
}
"""Colormap key -> read-only ``(256, 3)`` uint8 RGB table, in menu order."""


def _packed(table: Table) -> npt.NDArray[np.uint32]:
    rgba = np.full((256, 4), 255, np.uint8)
    rgba[:, :3] = table
    packed = rgba.view(np.uint32).ravel()
    packed.setflags(write=False)
    return packed


PACKED_RGBA: dict[str, npt.NDArray[np.uint32]] = {k: _packed(t) for k, t in LOOKUP_TABLES.items()}
"""Colormap key -> the table as opaque RGBA bytes packed in one uint32 per entry: looking
up four bytes at once is several times faster than three separate ones."""


def lookup_table(name: str) -> Table:
    """Look a colour table up by colormap key.

    Parameters
    ----------
    name : str
        One of :data:`LOOKUP_TABLES`' keys.

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
    >>> lookup_table("viridis")[0]
    array([68,  1, 84], dtype=uint8)
    """
    try:
        return LOOKUP_TABLES[name]
    except KeyError:
        raise ValueError(f"unknown colormap {name!r}; choose one of "
                         f"{', '.join(LOOKUP_TABLES)}") from None
