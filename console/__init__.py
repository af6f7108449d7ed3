"""The marketers' and sales' web console: a Flask blueprint under ``/console/`` in the bot's own app.

Pages call the same services as the CLI (``library``, ``leads``, ``analytics``, ``privacy``, ``cli``): the
console adds forms, drafts and an audit trail, never a second implementation. ``console.wiring.init_console``
installs it on an app; nothing it installs runs for ``/wechat``. See console/README.md to add a page.
"""
