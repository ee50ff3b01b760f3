"""Clinical measures with published definitions: pure functions over typed values, no I/O."""

__all__: list[str] = []
