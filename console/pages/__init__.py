"""One module per console page (or group of pages), each a child blueprint listed in ``console.blueprint``."""
