"""Display titles of parameter values (model key -> what menus and labels show)."""

INPUT_MODE_TITLES: dict[str, str] = {"gray": "Gray (1 channel)", "rgb": "RGB (3 channels)"}
PADDING_TITLES: dict[str, str] = {"valid": "valid (none)", "same": "same (keep size)",
                                  "explicit": "explicit"}
ACTIVATION_TITLES: dict[str, str] = {"none": "None", "relu": "ReLU",
                                     "leaky_relu": "Leaky ReLU", "sigmoid": "Sigmoid",
                                     "tanh": "Tanh"}
POOL_TITLES: dict[str, str] = {"none": "None", "max": "Max", "avg": "Average", "min": "Min",
                               "global_max": "Global max", "global_avg": "Global average"}
