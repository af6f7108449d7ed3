"""What this account says and does. Each module exposes a ``router``; ``app.py`` includes them in priority order."""
