"""The run manifest of ``apply``: which inputs are done, so that a re-run continues.

A JSON file in the output folder records, per input, its path, size and modification
time, the hash of what was computed (pipeline and export options) and the files written.
An input whose record matches and whose files all exist is complete: a re-run skips it.
The manifest is rewritten atomically after every finished input, so an interrupted run
leaves one that a re-run continues from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.batch.inputs import InputItem
from workbench.io.atomic import write_text

MANIFEST_NAME = ".conv-workbench-run.json"
FORMAT = "conv-workbench-run"
VERSION = 1


def run_hash(*parts: str) -> str:
    """Hash what decides an input's outputs (pipeline JSON, export options, frame step).

    Parameters
    ----------
    *parts : str
        Stable text forms of everything that changes the outputs.

    Returns
    -------
    str
        A hex SHA-256.
    """
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class Record:
    """What one finished input produced."""

    size: int
    mtime_ns: int
    run: str
    outputs: list[str] = field(default_factory=list)  # relative to the output folder
    frames: int = 0


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class Manifest:
    """The records of one output folder.

    Parameters
    ----------
    folder : pathlib.Path
        The output folder.
    records : dict, optional
        Input path (as given to :func:`key`) -> :class:`Record`.
    """

    def __init__(self, folder: Path, records: dict[str, Record] | None = None) -> None:
        self.folder = Path(folder)
        self.records: dict[str, Record] = dict(records or {})

    @property
    def path(self) -> Path:
        """Where the manifest is stored."""
        return self.folder / MANIFEST_NAME

    @staticmethod
    def key(item: InputItem) -> str:
        """Return the record key of an input (its absolute path).

        Parameters
        ----------
        item : InputItem
            The input.

        Returns
        -------
        str
            The key.
        """
        return str(Path(item.path).absolute())

    @classmethod
    def load(cls, folder: Path) -> tuple[Manifest, str]:
        """Read the manifest of ``folder`` (none, or an unreadable one, is an empty one).

        Parameters
        ----------
        folder : pathlib.Path
            The output folder.

        Returns
        -------
        tuple
            The manifest and a warning (``""`` when it read cleanly or did not exist).
        """
        manifest = cls(folder)
        try:
            text = manifest.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return manifest, ""
        except OSError as exc:
            return manifest, f"could not read the run manifest ({exc}); computing everything"
        try:
            data: Any = json.loads(text)
            if data.get("format") != FORMAT or data.get("version") != VERSION:
                raise ValueError("not a run manifest of this version")
            records = {str(k): Record(int(v["size"]), int(v["mtime_ns"]), str(v["run"]),
                                      [str(o) for o in v["outputs"]], int(v.get("frames", 0)))
                       for k, v in data["inputs"].items()}
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            return manifest, (f"ignored the unreadable run manifest {manifest.path.name} "
                              f"({exc}); computing everything")
        manifest.records = records
        return manifest, ""

    def is_complete(self, item: InputItem, run: str) -> bool:
        """Whether ``item`` was finished by a run of the same hash and its files exist.

        Parameters
        ----------
        item : InputItem
            The input.
        run : str
            The current run's :func:`run_hash`.

        Returns
        -------
        bool
            True when it can be skipped.
        """
        record = self.records.get(self.key(item))
        if record is None or record.run != run or not record.outputs:
            return False
        if _stat(Path(item.path)) != (record.size, record.mtime_ns):
            return False
        return all((self.folder / name).is_file() for name in record.outputs)

    def record(self, item: InputItem, run: str, outputs: list[Path], frames: int) -> None:
        """Note a finished input (call :meth:`save` to store it).

        Parameters
        ----------
        item : InputItem
            The input.
        run : str
            The run's hash.
        outputs : list of pathlib.Path
            The files written for it.
        frames : int
            Frames processed (1 for an image).
        """
        stat = _stat(Path(item.path))
        if stat is None:
            return
        names = []
        for path in outputs:
            try:
                names.append(str(Path(path).resolve().relative_to(self.folder.resolve())))
            except ValueError:
                names.append(str(Path(path).resolve()))
        self.records[self.key(item)] = Record(stat[0], stat[1], run, names, frames)

    def save(self) -> None:
        """Write the manifest atomically (replacing the previous one)."""
        data = {"format": FORMAT, "version": VERSION,
                "inputs": {k: asdict(v) for k, v in sorted(self.records.items())}}
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text(self.path, json.dumps(data, indent=1), overwrite=True)
