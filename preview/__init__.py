"""Try content before it is live: run a message through the real dispatch path against a draft, with no side
effects (``preview.dispatch``), and say which route answers a text (``preview.explain``)."""
