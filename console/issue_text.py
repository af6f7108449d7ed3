"""The content checker's problems in the console's languages: each issue code (``library.issue_codes``) has a
Chinese message and hint here; the English ones are the checker's own templates, the very text the CLI prints.
Both are registered in the console catalogue as ``issue.<code>`` and ``issue.<code>.hint``, and templates show
an issue with ``issue_message(issue)`` / ``issue_hint(issue)`` in the reader's language.

A code added to the checker without its wording here fails tests/test_issue_codes.py.

Usage::

    issue_message(issue)        # "规则「greeting」中的关键词「hi」重复……" for a zh user, issue.message for en
"""
from __future__ import annotations

from console.i18n import add_messages, current_lang, t
from library.issue_codes import ISSUES
from library.issues import Issue

# code: (message, hint) in Chinese, over the same parameters as the English.
ZH: dict[str, tuple[str, str]] = {
    "file.markdown_outside_articles": ("articles/ 以外的 Markdown 文件不会被读取", "文章放在 articles/en/ 和 articles/zh/ 中"),
    "file.no_rules": ("没有 rules.yaml：只有菜单点击、文章关键词和搜索会回复", ""),
    "file.missing": ("缺少 {file}", "机器人说的每条消息都在这个文件里"),
    "file.unknown": ("未知文件「{file}」：没有程序读取它", "是不是想写 {known}？"),
    "file.misplaced": ("已忽略：「{file}」不在机器人读取的位置", "表单流程文件放在 flows/<名称>.yaml"),
    "yaml.syntax_colon": ("YAML 语法错误：{problem}", "含有“: ”的文字请用英文双引号括起来"),
    "yaml.syntax_tab": ("YAML 语法错误：{problem}", "用空格缩进，不要用 Tab"),
    "yaml.syntax_unclosed": ("YAML 语法错误：{problem}", "检查缩进，以及引号和括号是否成对"),
    "yaml.syntax": ("YAML 语法错误：{problem}", "检查这一行或上一行的引号、冒号和缩进"),
    "yaml.error": ("YAML 错误：{problem}", ""),
    "yaml.key_not_plain": ("映射的键必须是普通值", ""),
    "yaml.duplicate_key": ("键「{key}」重复", "同一层级中每个键只能出现一次；后出现的会覆盖前面的"),
    "flow.not_mapping": ("表单流程文件必须是文字和步骤的映射", "参考 content/flows/lead.yaml"),
    "templates.not_mapping": ("templates.yaml 必须把模板名称映射到各自的设置", "参考 content/templates.yaml 开头的注释"),
    "messages.not_mapping": ("messages.yaml 必须把消息名称映射到 {{zh: ..., en: ...}}", ""),
    "article.misplaced": ("已忽略：文章应放在 articles/<en|zh>/<id>.md", ""),
    "article.language_folder": ("未知的语言文件夹「{lang}」", "使用 articles/en/ 或 articles/zh/"),
    "article.no_front_matter": ("缺少文章开头的属性区（front matter）", "文件以 --- 开头，写 id/title/... 等键，再以 --- 结束"),
    "article.front_matter_lines": ("属性区必须是“键: 值”的行", ""),
    "article.id_mismatch": ("id「{id}」与文件名「{stem}」不一致", "把文件改名为 {id}.md，或设置 id: {stem}"),
    "article.language_mismatch": ("language 为「{language}」，但文件在 articles/{lang}/ 中",
                                  "设置 language: {lang}，或移动文件"),
    "article.no_body": ("文章没有正文", "在结尾的 --- 下面写正文"),
    "schema.missing_language": ("{where}：缺少语言版本「{key}」", "每条回复都需要中文（zh）和英文（en）两个版本"),
    "schema.missing_key": ("缺少必填项「{key}」", "{description}"),
    "schema.missing_key_at": ("{where}：缺少必填项「{key}」", "{description}"),
    "schema.unknown_key": ("{where}：未知的键「{key}」", "检查拼写；参考文件开头的注释"),
    "schema.empty": ("{where}：不能为空", "{description}"),
    "schema.yes_no": ("{where}：yes/no/on/off 会被读成 true/false", "请加引号，例如 \"yes\""),
    "schema.localized": ("{where}：每种语言应各有一段文字", "写成缩进的两行：zh: ... 和 en: ..."),
    "schema.invalid": ("{where}：不符合格式要求（{detail}）", "{description}"),
    "reply.too_many_articles": ("{count} 篇文章，但一条图文回复最多 {limit} 篇", "分到几条规则或几个菜单按钮中"),
    "reply.unknown_message": ("未知消息「{name}」", "在 {file} 中添加它，或使用其中之一：{known}"),
    "reply.unknown_message_none": ("未知消息「{name}」", "在 {file} 中添加它"),
    "reply.flow_in_random": ("随机回复不能启动表单流程", "把表单流程放到单独的规则中"),
    "reply.both_reply_and_flow": ("同时写了 reply 和 flow", "只保留其中一个"),
    "reply.unknown_article": ("未知文章「{id}」", "是不是想写 {close}？"),
    "reply.unknown_article_none": ("未知文章「{id}」", "文章 ID 就是文件名去掉 .md"),
    "reply.unknown_flow": ("未知表单流程「{name}」", "添加 content/flows/{name}.yaml"),
    "reply.bad_flow_name": ("表单流程名称「{name}」无效", "只用小写字母、数字、- 和 _"),
    "text.too_long": ("文字有 {size} 字节；微信最多显示 {limit} 字节（UTF-8）", "缩短文字（一个汉字占 3 字节），或改为发送文章"),
    "article.missing_language": ("缺少语言版本：没有 articles/{other}/{id}.md", "每篇文章都要有 en 和 zh 两个版本，ID 相同"),
    "article.title_too_long": ("标题有 {length} 个字符；{lang} 最多 {limit} 个", "微信会截断图文卡片上过长的标题"),
    "article.summary_too_long": ("摘要有 {length} 个字符；{lang} 最多 {limit} 个", ""),
    "article.keyword_count": ("{count} 个关键词；4 到 10 个能帮助粉丝找到文章", ""),
    "article.keyword_taken": ("关键词「{keyword}」也被文章「{other}」使用（{other_file}:{other_line}）", "每个关键词只能对应一篇文章"),
    "article.variants_differ": ("{field} 与 articles/en/{id}.md 不同", "两种语言的 image、tags、date 和 keywords 应保持一致"),
    "article.unreached": ("没有任何规则、菜单按钮或关键词指向文章「{id}」", "粉丝只能通过搜索找到它；添加关键词或规则"),
    "messages.missing": ("缺少消息「{name}」", "机器人会按名称使用它；请添加中英文两个版本"),
    "rule.duplicate_name": ("规则名称「{name}」在第 {other_line} 行也用过", "统计数据按名称记录规则命中；名称必须唯一"),
    "rule.empty_keyword": ("关键词为空", ""),
    "rule.duplicate_keyword": ("关键词「{keyword}」（{kind}）重复：第 {other_line} 行的规则「{other}」也有",
                               "一个关键词只能属于一条规则；删掉一个或合并规则"),
    "rule.regex_invalid": ("正则表达式「{pattern}」无法编译：{problem}", "用反斜杠转义特殊字符，例如 ( ) [ ] ? + *"),
    "rule.regex_backtracking": ("正则表达式「{pattern}」可能出现灾难性回溯：{problem}",
                                "去掉嵌套的重复，例如把 (a+b?)+ 写成 (ab)+，或改用“包含”"),
    "menu.too_many_buttons": ("{count} 个一级菜单；微信最多 {limit} 个", "把按钮放到子菜单（sub_buttons）中"),
    "menu.too_many_sub_buttons": ("{count} 个子菜单按钮；微信最多 {limit} 个", "把一些移到另一个一级菜单下"),
    "menu.group_with_action": ("有子菜单的按钮不能有「{field}」", "微信只会展开子菜单；把它放到子菜单按钮上"),
    "menu.nested_sub_buttons": ("子菜单按钮不能再有子菜单", "微信菜单只有两级"),
    "menu.name_too_long": ("按钮名称「{name}」有 {size} 字节；微信最多 {limit} 字节", "一个汉字占 3 字节；请缩短名称"),
    "menu.no_type": ("按钮需要类型（click、view……）或子菜单", "大多数按钮是 type: click"),
    "menu.needs_url": ("{type} 按钮需要 url", ""),
    "menu.bad_url": ("url 必须以 http(s) 开头，且最多 {limit} 字节", ""),
    "menu.miniprogram_fields": ("小程序按钮需要 appid 和 pagepath", ""),
    "menu.page_reply_unused": ("{type} 按钮会打开网页；它的回复或表单流程永远不会用到", ""),
    "menu.needs_media_id": ("{type} 按钮需要 media_id", ""),
    "menu.needs_article_id": ("{type} 按钮需要 article_id", ""),
    "menu.needs_key": ("{type} 按钮需要 key", "例如 key: MENU_KOL"),
    "menu.key_too_long": ("key 有 {size} 字节；微信最多 {limit} 字节", ""),
    "menu.key_style": ("key「{key}」不是 MENU_大写下划线 的格式", "例如 MENU_KOL"),
    "menu.duplicate_key": ("key「{key}」在第 {other_line} 行也用过", "每个按钮需要自己的 key"),
    "menu.click_without_reply": ("点击按钮「{key}」没有回复或表单流程", "添加 reply: {{article: <id>}} 或 flow: lead"),
    "scene.name_too_long": ("场景「{name}」超过 {limit} 个字符", "微信的场景值为 1 到 64 个字符"),
    "synonym.duplicate_id": ("id「{id}」在第 {other_line} 行也用过", "把两个条目的写法合并到一个条目中"),
    "synonym.duplicate_variant": ("写法「{variant}」也列在「{other}」下（第 {other_line} 行）", "一个写法只能代表一样东西；只保留在一个条目中"),
    "display.choice_label": ("选项文字「{label}」有 {length} 个字符；模板消息字段最多显示 {limit} 个，销售提醒和确认消息会截断它",
                             "缩短到 {limit} 个字符以内；选项 ID 不变"),
    "display.title": ("标题宽度约 {width}（中文按汉字、英文按字母计）；手机上约显示 {shown}（图文卡片两行）后截断",
                      "缩短标题：点菜单时会列出几张卡片，每个标题在缩略图旁占两行"),
    "display.summary": ("摘要宽度约 {width}（中文按汉字、英文按字母计）；手机上约显示 {shown}（标题下三行）后截断", "保持一句短话；详细内容放在文章里"),
    "display.button_top": ("按钮名称「{name}」宽度约 {width}（中文按汉字、英文按字母计）；一级菜单按钮约显示 {shown} 后用 … 截断",
                           "缩短名称；它发送的文章可以说明其余内容"),
    "display.button_sub": ("按钮名称「{name}」宽度约 {width}（中文按汉字、英文按字母计）；子菜单约显示 {shown} 后用 … 截断",
                           "缩短名称；它发送的文章可以说明其余内容"),
    "placeholder.broken": ("{what}：大括号写法有误（{problem}）", "文字中的大括号请写成 {{{{ 或 }}}}"),
    "placeholder.unused": ("{what} 没有用到 {{{name}}}", "机器人会填入 {{{name}}}；没有它粉丝会看不到这部分内容"),
    "placeholder.unknown": ("{what}：未知占位符 {{{name}}}", "这段文字可以用：{allowed}"),
    "flow.not_run": ("没有程序运行表单流程「{name}」：启动它的规则和按钮会改为发送联系方式", "本机器人运行的表单流程：{known}"),
    "flow.no_wording": ("表单流程「{name}」没有文字文件", "机器人会运行 {name} 流程；请添加 flows/{name}.yaml（参考自带内容）"),
    "flow.consent_missing": ("steps.{step}.{part} 用了 {{consent_text}}，但表单流程没有同意条款（consent）",
                             "在文件开头添加 consent: {{version: ..., text: {{zh: ..., en: ...}}}}"),
    "flow.duplicate_choice": ("steps.{step}：选项 ID「{id}」用了两次", "每个选项需要自己的 ID；销售会收到它"),
    "flow.choice_is_command": ("steps.{step}：选项文字「{word}」同时是「{command}」指令",
                               "粉丝输入它会执行 {command}，而不是选择这个选项；请修改选项文字或指令"),
    "flow.step_missing": ("步骤「{step}」没有文字", "机器人按 {steps} 的顺序提问；请添加 steps.{step}，含中英文的 ask 和 invalid"),
    "flow.step_unused": ("步骤「{step}」从不会被问到", "机器人会问 {steps}；增加问题需要修改程序"),
    "flow.text_missing": ("缺少文字「{name}」", "机器人在这个流程中会说它；请添加 {name}:，含 zh 和 en"),
    "flow.needs_choices": ("steps.{step} 需要选项", "机器人把这个回答当作编号选项；请添加 choices:，含 id、zh 和 en"),
    "flow.choice_missing": ("steps.{step}：没有 ID 为「{id}」的选项", "机器人依据这个 ID 执行操作；请保留 ID {ids}（文字可以修改）"),
    "template.not_sent": ("没有程序发送模板「{name}」", "机器人发送的模板：{known}"),
    "template.retired_field": ("{name}.fields.{key}：first/remark 行已于 2023 年 5 月停用", "把文字移到模板的关键词字段（thing1……）中"),
    "template.fixed_too_long": ("{where}：固定文字有 {length} 个字符；微信每个字段最多 {limit} 个", "缩短它；填入的内容也需要空间"),
    "template.typical_values": ("{where}：填入典型内容后，{problem}", "与关键词类型一致：thing 字段填文字，time 字段填时间……"),
    "template.bad_url": ("{name}.url 必须以 https:// 或 http:// 开头", ""),
    "review.not_mapping": ("review_terms.yaml 必须有 zh: 列表和 en: 列表", "{format}"),
    "review.unknown_language": ("未知的键「{lang}」", "使用 zh: 和 en:"),
    "review.not_list": ("{lang}：必须是词语列表", "{format}"),
    "review.not_entry": ("{lang}[{index}]：不是词条", "{format}"),
    "review.unknown_key": ("{lang}[{index}]：未知的键「{key}」", "词条只有 term 和 instead"),
    "review.bad_term": ("{lang}[{index}]：term 必须是词或短语", "{format}"),
    "review.needs_instead": ("{lang}[{index}]：「{term}」需要 instead", "写明改用什么说法；检查时会把它作为提示显示"),
    "review.duplicate": ("「{term}」列了两次（第 {other_line} 行也有）", "只保留一条"),
    "review.risky_term": ("「{term}」可能通不过微信的内容审核", "建议：{instead}（列表：{file}:{term_line}）"),
}

add_messages({key: pair for code, (en, en_hint) in ISSUES.items() for key, pair in (
    (f"issue.{code}", (ZH.get(code, (en, en_hint))[0], en)),
    (f"issue.{code}.hint", (ZH.get(code, (en, en_hint))[1], en_hint)))})


def _worded(key: str, issue: Issue, fallback: str) -> str:
    if not issue.code or current_lang() == "en":
        return fallback                       # the checker's own English, exactly as the CLI prints it
    try:
        return t(key, **issue.values) if issue.values else t(key).replace("{{", "{").replace("}}", "}")
    except (KeyError, IndexError, ValueError):
        return fallback


def issue_message(issue: Issue) -> str:
    return _worded(f"issue.{issue.code}", issue, issue.message)


def issue_hint(issue: Issue) -> str:
    return _worded(f"issue.{issue.code}.hint", issue, issue.hint) if issue.hint else ""

