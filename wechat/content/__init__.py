"""The content library: what the bot says, loaded from ``content/`` and served per live version."""
from wechat.content.library import Content, ContentLibrary

__all__ = ["Content", "ContentLibrary"]
