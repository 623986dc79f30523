"""Open your own model: the conv layers of ONNX, Keras, safetensors and PyTorch files, and back.

:func:`open_model` reads a file without executing anything from it and returns a
:class:`Model`: its :attr:`~Model.layers` in order from the input, :meth:`~Model.pipeline`
for the core pipeline of a run of layers (BatchNorm folded), and :meth:`~Model.save_copy`
to write edited filters into a copy of the file in the same format.

No Qt here; the formats' libraries (``onnx``, ``safetensors``, ``h5py`` for Keras files,
``torch``) are imported only when a file of theirs is opened (the ``models`` extra installs
all but torch; Keras itself is never imported).
"""

from workbench.io.models.model import (
    LAYER_KINDS,
    OVERRIDE_KEYS,
    Model,
    ModelLayer,
    fold_batchnorm,
)
from workbench.io.models.opening import MODEL_FORMATS, detect_format, open_model

__all__ = ["LAYER_KINDS", "MODEL_FORMATS", "OVERRIDE_KEYS", "Model", "ModelLayer",
           "detect_format", "fold_batchnorm", "open_model"]
