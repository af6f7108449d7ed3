"""Followers' control over their data (China's PIPL): erasure on request, everywhere it is kept."""
