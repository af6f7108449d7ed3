"""Parse WeChat's XML into a frozen ``Message``, refusing DTDs and entities before anything is expanded.

WeChat's envelope is one flat ``<xml>`` of named fields, so it is read in one pass of the C expat parser
straight into a dict, with no element tree in between (about a third of the cost of building one through
defusedxml's pure-Python ``XMLParser``). The protections are defusedxml's own, on the same parser: a
DOCTYPE, an entity declaration or an external reference raises its ``DTDForbidden`` /
``EntitiesForbidden`` / ``ExternalReferenceForbidden`` before anything is expanded.

Usage::

    msg = parse_message(body)          # raises MalformedMessage on bad or hostile XML
    msg.openid, msg.dedupe_key, msg.scene
    msg.content                        # at most MAX_FIELD_CHARS characters, like every field
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

# The most of any one field (Content, Recognition, a link's Description...) that the bot ever looks at,
# cut once here so no regex, tokenizer, search or counter downstream can be made to work harder.
# Followers type a question or a form answer: a line or two. No route reads more than 500 characters
# (a form answer; search reads 200, unmatched samples keep 60), so 1,000 keeps everything a person
# writes and bounds what a pasted essay or a forged megabyte costs.
MAX_FIELD_CHARS = 1000

# Follower-initiated message types: WeChat shows only one article in a news reply to these.
FOLLOWER_MESSAGE_TYPES = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link"})


class MalformedMessage(ValueError):
    """The body is not a WeChat message we can read; the webhook answers 400 with this text."""


@dataclass(frozen=True)
class Message:
    """One inbound message or event, as WeChat sent it (field names are WeChat's)."""

    type: str                  # MsgType, lower-case: text, image, ..., event
    event: str                 # Event, lower-case ("" for messages)
    openid: str                # FromUserName: the follower
    account: str               # ToUserName: our account's original id
    created_at: int            # CreateTime, unix seconds
    msg_id: str                # MsgId (MsgID on template events); "" for most events
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    @property
    def content(self) -> str:
        """Text typed, or the voice recognition result, so voice works like text when WeChat transcribes it."""
        if self.type == "voice":
            return self.get("Recognition").strip()
        return self.get("Content")

    @property
    def event_key(self) -> str:
        return self.get("EventKey")

    @property
    def is_event(self) -> bool:
        return self.type == "event"

    @property
    def from_follower(self) -> bool:
        """A message the follower typed or sent (not an event): news replies carry one article at most."""
        return self.type in FOLLOWER_MESSAGE_TYPES

    @property
    def scene(self) -> str:
        """QR scene: ``qrscene_<scene>`` on subscribe, plain ``<scene>`` on SCAN; "" otherwise."""
        if self.event == "subscribe" and self.event_key.startswith("qrscene_"):
            return self.event_key[len("qrscene_"):]
        if self.event == "scan":
            return self.event_key
        return ""

    @property
    def dedupe_key(self) -> str:
        # WeChat retries 3x within ~15 s; dedupe by MsgId+FromUserName, events by FromUserName+CreateTime+Event+EventKey.
        if self.msg_id and not self.is_event:
            return f"m:{self.msg_id}:{self.openid}"
        return f"e:{self.openid}:{self.created_at}:{self.event}:{self.event_key}"


def is_dedupe_key_of(dedupe_key: str, openid: str) -> bool:
    """Whether ``dedupe_key`` (``Message.dedupe_key``) names a message or event of ``openid`` (erasure finds
    a follower's cached replies with it)."""
    return dedupe_key.startswith(f"e:{openid}:") or (dedupe_key.startswith("m:") and dedupe_key.endswith(f":{openid}"))


def _refuse_doctype(name: str, sysid: Any, pubid: Any, has_internal_subset: Any) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _refuse_entity(name: str, is_parameter_entity: Any, value: Any, base: Any, sysid: Any, pubid: Any,
                   notation_name: Any) -> None:
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)


def _refuse_unparsed_entity(name: str, base: Any, sysid: Any, pubid: Any, notation_name: Any) -> None:
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)


def _refuse_external(context: Any, base: Any, sysid: Any, pubid: Any) -> None:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


class _FieldReader:
    """expat callbacks collecting ``parse_xml_fields``' result: each direct child of the root is a field;
    a child with children of its own contributes its leaves instead (first one of a name wins, stripped)."""

    __slots__ = ("fields", "root", "stack")

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.root = ""
        self.stack: list[list[Any]] = []      # [tag, text parts, has children] per open element

    def start(self, tag: str, attrs: Any) -> None:
        stack = self.stack
        if stack:
            stack[-1][2] = True
        elif not self.root:
            self.root = tag
        stack.append([tag, [], False])

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1][1].append(text)

    def end(self, tag: str) -> None:
        _, parts, has_children = self.stack.pop()
        depth = len(self.stack)
        if has_children or depth == 0:
            return
        if depth == 1:
            self.fields[tag] = "".join(parts)
        else:   # e.g. ScanCodeInfo, SendLocationInfo, SendPicsInfo: keep leaf values flat
            self.fields.setdefault(tag, "".join(parts).strip())


def parse_xml_fields(body: bytes | str) -> dict[str, str]:
    """Top-level children of ``<xml>`` as strings (nested elements keep their leaf values, flattened)."""
    if not body or not body.strip():
        raise MalformedMessage("empty body: expected WeChat XML")
    reader = _FieldReader()
    parser = expat.ParserCreate()
    parser.buffer_text = True                 # one data callback per text run, not per line or CDATA piece
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.data
    try:
        parser.Parse(body, True)
    except DefusedXmlException as exc:
        raise MalformedMessage(f"refused XML: {type(exc).__name__} (DTDs and entities are not allowed)") from None
    except expat.ExpatError as exc:
        raise MalformedMessage(f"not well-formed XML: {exc}") from None
    except (LookupError, UnicodeError) as exc:   # encoding="nonsense" in the declaration: a 400, not a 500
        raise MalformedMessage(f"not well-formed XML: {exc}") from None
    if reader.root != "xml":
        raise MalformedMessage(f"root element must be <xml>, got <{reader.root}>")
    return reader.fields


def message_from_fields(fields: Mapping[str, str]) -> Message:
    """Build a ``Message``, refusing bodies that lack what every WeChat message has; every field is capped."""
    fields = {name: value[:MAX_FIELD_CHARS] for name, value in fields.items()}
    missing = [name for name in ("ToUserName", "FromUserName", "MsgType") if not fields.get(name)]
    if missing:
        raise MalformedMessage(f"missing {', '.join(missing)}")
    try:
        created_at = int(fields.get("CreateTime") or 0)
    except ValueError:
        raise MalformedMessage("CreateTime is not a number") from None
    msg_type = fields["MsgType"].strip().lower()
    return Message(
        type=msg_type,
        event=fields.get("Event", "").strip().lower() if msg_type == "event" else "",
        openid=fields["FromUserName"].strip(),
        account=fields["ToUserName"].strip(),
        created_at=created_at,
        msg_id=(fields.get("MsgId") or fields.get("MsgID") or "").strip(),
        fields=MappingProxyType(dict(fields)),
    )


def parse_message(body: bytes | str) -> Message:
    return message_from_fields(parse_xml_fields(body))
