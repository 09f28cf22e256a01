"""What every platform module's State shares: saving and loading its FIELDS, the platform's clock and rng."""


class PlatformState:
    """Base of each platform module's State; subclasses set FIELDS and define size()."""

    FIELDS = []

    def __init__(self, platform):
        self.platform = platform

    @property
    def rng(self):
        return self.platform.rng

    def now(self):
        return self.platform.now()

    def dump(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def restore(self, data):
        for name in self.FIELDS:
            if name in data:
                setattr(self, name, data[name])
