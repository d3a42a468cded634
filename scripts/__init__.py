"""Project tooling: the main job (``python -m scripts.platform``) and its helpers."""
