"""The one-pass expat reader reads exactly what a defusedxml element tree reads, and refuses what it refuses."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml
import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import given, settings, strategies as st

from wechat.messages import MalformedMessage, parse_xml_fields


def tree_fields(body: bytes | str) -> dict[str, str]:
    """The reference: the element-tree reading ``parse_xml_fields`` replaced (defusedxml, DTDs forbidden)."""
    if not body or not body.strip():
        raise MalformedMessage("empty body")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise MalformedMessage("refused XML") from None
    except (ET.ParseError, LookupError, UnicodeError):   # the tree let an unknown encoding escape as a 500
        raise MalformedMessage("not well-formed XML") from None
    if root.tag != "xml":
        raise MalformedMessage("root element must be <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child):
            for leaf in child.iter():
                if leaf is not child and not len(leaf):
                    fields.setdefault(leaf.tag, (leaf.text or "").strip())
            continue
        fields[child.tag] = child.text or ""
    return fields


def outcome(read, body):
    try:
        return ("ok", read(body))
    except MalformedMessage as exc:
        kinds = ("empty body", "refused XML", "not well-formed XML", "root element must be <xml>")
        return ("refused", next(kind for kind in kinds if str(exc).startswith(kind)))


TAGS = st.sampled_from(["ToUserName", "Content", "MsgId", "ScanCodeInfo", "ScanResult", "Item", "a"])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t <>&]"),
               max_size=12)


def escaped(text: str) -> st.SearchStrategy[str]:
    plain = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    cdata = "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    refs = "".join(f"&#{ord(c)};" for c in text)
    return st.sampled_from([plain, cdata, refs])


@st.composite
def element(draw, depth: int = 0) -> str:
    tag = draw(TAGS)
    if depth < 3 and draw(st.booleans()):
        children = draw(st.lists(element(depth + 1), max_size=3))
        lead = draw(TEXT.flatmap(escaped))
        return f"<{tag}>{lead}{''.join(children)}</{tag}>"
    return f"<{tag}>{draw(TEXT.flatmap(escaped))}</{tag}>"


@st.composite
def document(draw) -> str:
    root = draw(st.sampled_from(["xml", "xml", "xml", "html"]))
    children = draw(st.lists(element(), max_size=6))
    prolog = draw(st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>', "<!-- c -->", "<?pi x?>"]))
    return f"{prolog}<{root} a=\"1\">{' '.join(children)}</{root}>"


@settings(max_examples=400, deadline=None)
@given(document())
def test_reads_what_the_tree_reads(doc):
    assert outcome(parse_xml_fields, doc.encode("utf-8")) == outcome(tree_fields, doc.encode("utf-8"))
    assert outcome(parse_xml_fields, doc) == outcome(tree_fields, doc)


@settings(max_examples=300, deadline=None)
@given(document(), st.data())
def test_broken_documents_are_refused_alike(doc, data):
    raw = doc.encode("utf-8")
    cut = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.binary(max_size=4))
    mangled = raw[:cut] + junk + raw[cut + data.draw(st.integers(0, 3)):]
    assert outcome(parse_xml_fields, mangled) == outcome(tree_fields, mangled)


HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><C>&b;</C></xml>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><C>&e;</C></xml>',
    b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.com/x.dtd"><xml><C>1</C></xml>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.com/p">%p;]><xml/>',
    b'<!DOCTYPE xml [<!ENTITY u SYSTEM "http://x/" NDATA gif>]><xml/>',
]


@pytest.mark.parametrize("body", HOSTILE)
def test_dtds_and_entities_are_refused_before_expansion(body):
    with pytest.raises(MalformedMessage, match="refused XML: DTDForbidden"):
        parse_xml_fields(body)


def test_an_unknown_encoding_is_a_bad_request_not_a_crash():
    with pytest.raises(MalformedMessage, match="not well-formed XML: unknown encoding"):
        parse_xml_fields(b'<?xml version="1.0" encoding="tf-8"?><xml/>')


def test_undeclared_entity_is_not_well_formed():
    with pytest.raises(MalformedMessage, match="not well-formed"):
        parse_xml_fields(b"<xml><C>&lol;</C></xml>")
