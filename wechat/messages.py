"""Parse WeChat's XML into a frozen ``Message``, refusing DTDs and entities before anything is expanded.

Usage::

    msg = parse_message(body)          # raises MalformedMessage on bad or hostile XML
    msg.openid, msg.dedupe_key, msg.scene
    msg.content                        # at most MAX_FIELD_CHARS characters, like every field
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import defusedxml
import defusedxml.ElementTree as SafeET

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


def parse_xml_fields(body: bytes | str) -> dict[str, str]:
    """Top-level children of ``<xml>`` as strings (nested elements keep their inner XML flattened to text)."""
    if not body or not body.strip():
        raise MalformedMessage("empty body: expected WeChat XML")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise MalformedMessage(f"refused XML: {type(exc).__name__} (DTDs and entities are not allowed)") from None
    except ET.ParseError as exc:
        raise MalformedMessage(f"not well-formed XML: {exc}") from None
    if root.tag != "xml":
        raise MalformedMessage(f"root element must be <xml>, got <{root.tag}>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child):  # e.g. ScanCodeInfo, SendLocationInfo, SendPicsInfo: keep leaf values flat
            for leaf in child.iter():
                if leaf is not child and not len(leaf):
                    fields.setdefault(leaf.tag, (leaf.text or "").strip())
            continue
        fields[child.tag] = child.text or ""
    return fields


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
