"""The content library: what the bot says, checked, versioned in Redis and served live per version."""
from library.compiled import ArticleDoc, Content, compile_bundle
from library.issues import ContentInvalid, Issue
from library.live import ContentLibrary

__all__ = ["ArticleDoc", "Content", "ContentInvalid", "ContentLibrary", "Issue", "compile_bundle"]
