"""The engine: how WeChat works. Knows nothing about our marketing; the only package that imports wechatpy."""
