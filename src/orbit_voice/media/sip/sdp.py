"""Per-call codec order: rewrite our SDP offer so a trunk's codecs come first, in its order.

PJSUA's codec priorities are process-wide, so a trunk's order is applied to each offer as it
is created (``onCallSdpCreated``). Codecs the trunk does not list are dropped, unless none of
its codecs is available here (OPUS is not in this PJSIP build): then the offer is left alone
rather than offering nothing. telephone-event (RFC 4733 DTMF) always stays.
"""

from __future__ import annotations

import re

_STATIC = {"0": "PCMU", "3": "GSM", "8": "PCMA", "9": "G722", "18": "G729"}
_ALIASES = {"G711U": "PCMU", "ULAW": "PCMU", "G711A": "PCMA", "ALAW": "PCMA", "ILBC": "ILBC"}
_RTPMAP = re.compile(r"^a=(?:rtpmap|fmtp):(\d+)[ ]", re.IGNORECASE)


def _canonical(name: str) -> str:
    upper = name.strip().upper()
    return _ALIASES.get(upper, upper)


def prefer_codecs(sdp: str, codecs: list[str]) -> str:
    newline = "\r\n" if "\r\n" in sdp else "\n"
    lines = sdp.split(newline)
    m_index = next((i for i, line in enumerate(lines) if line.startswith("m=audio ")), None)
    if m_index is None:
        return sdp
    parts = lines[m_index].split(" ")
    head, payloads = parts[:3], parts[3:]
    names = {pt: name for pt, name in _STATIC.items()}
    for line in lines:
        if line.lower().startswith("a=rtpmap:"):
            pt, _, rest = line[9:].partition(" ")
            names[pt] = rest.split("/", 1)[0]
    events = [pt for pt in payloads if names.get(pt, "").lower() == "telephone-event"]
    ordered: list[str] = []
    for wanted in map(_canonical, codecs):
        ordered += [pt for pt in payloads if _canonical(names.get(pt, "")) == wanted]
    ordered = list(dict.fromkeys(ordered))
    if not ordered:
        return sdp
    keep = ordered + [pt for pt in events if pt not in ordered]
    out: list[str] = []
    for i, line in enumerate(lines):
        if i == m_index:
            out.append(" ".join(head + keep))
            continue
        match = _RTPMAP.match(line)
        if match and match.group(1) not in keep:
            continue
        out.append(line)
    return newline.join(out)
