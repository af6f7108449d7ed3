"""The content library: what the bot says, checked, versioned in Redis and served live per version."""
from wechat.content.compiled import ArticleDoc, Content, compile_bundle
from wechat.content.issues import ContentInvalid, Issue
from wechat.content.library import ContentLibrary

__all__ = ["ArticleDoc", "Content", "ContentInvalid", "ContentLibrary", "Issue", "compile_bundle"]
