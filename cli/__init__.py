"""Flask CLI commands (``flask --app app <command>``): one module per group, registered by ``cli.registry``.

Commands get settings, Redis and the API client from ``cli.services``. This package file imports nothing,
so ``flask --app "cli.sim:simulator_app()"`` (``scripts/sim.sh``) loads only the simulator.
"""
