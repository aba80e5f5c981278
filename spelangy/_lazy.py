# Lazy re-exports for package __init__ files: names import their module on first use, so
# `import spelangy` and the CLI start fast.
from importlib import import_module


def lazy_exports(package: str, public: dict):
    """`__getattr__` and `__dir__` for a package whose names map to the modules that hold them."""
    namespace = import_module(package).__dict__

    def __getattr__(name):
        if name in public:
            value = getattr(import_module(public[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(public)

    return __getattr__, __dir__
