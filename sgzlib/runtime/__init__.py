"""The machine the product runs on: child processes, the Jupyter kernel, the browser, system packages,
fault points for the reliability tests. Imports nothing of sgzlib but ``errors``."""
