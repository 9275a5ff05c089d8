"""dlhw: tested helpers behind the deep-learning homework notebooks.

Importing the package is cheap: TensorFlow is only imported by the modules that need it,
so that `dlhw --help` answers at once.
"""

__version__ = "0.1.0"
