"""WeChat's limits, in one table: the content checker, the menu publisher, reply rendering and template
messages all read them from here, so a rule WeChat changes is changed once.

Each value cites the rule it comes from (the MP developer docs, 公众号开发文档, as of 2025).
"""
from __future__ import annotations

# -- custom menu (自定义菜单 / 创建接口 menu/create) -------------------------------------------------------
MENU_TOP_BUTTONS = 3            # "一级菜单数组，个数应为1~3个"
MENU_SUB_BUTTONS = 5            # "二级菜单数组，个数应为1~5个"
MENU_TOP_NAME_BYTES = 16        # "菜单标题，不超过16个字节"
MENU_SUB_NAME_BYTES = 60        # "子菜单不超过60个字节" (older docs said 40)
MENU_KEY_BYTES = 128            # "菜单KEY值 ... 不超过128字节"
MENU_URL_BYTES = 1024           # "网页链接 ... 不超过1024字节"

# -- passive replies (被动回复用户消息) and customer-service messages (客服消息) ------------------------------
TEXT_BYTES = 2048               # text Content over 2048 bytes of UTF-8 is cut or refused (also message/custom/send)
NEWS_ARTICLES_FOLLOWER_MESSAGE = 1   # answering a follower's message (text, image, voice, ...) shows 1 news card
NEWS_ARTICLES_OTHER = 8         # other triggers (subscribe, menu click, scan) show up to 8 ("图文消息个数 ... 限制为8条以内")

# Customer-service windows (rules since June 2023): (sends allowed, window in seconds).
CUSTOM_AFTER_MESSAGE = (5, 48 * 3600)    # 5 within 48 h after a follower's message
CUSTOM_AFTER_EVENT = (3, 60)             # 3 within 1 minute after a menu click, subscribe or QR scan

# -- template messages (模板消息, rules since May 2023) ------------------------------------------------------
TEMPLATE_FIELD_CHARS = 20       # every keyword value at most 20 characters; first/remark lines and colours retired

# -- QR codes (生成带参数的二维码) ---------------------------------------------------------------------------
QR_SCENE_CHARS = 64             # scene_str: "长度限制为1到64"
