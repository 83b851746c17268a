"""Reading the JSON object out of a model's answer."""

from __future__ import annotations

import json


def extract_json(content: str) -> object:
    """The JSON object in an answer, tolerating code fences and chatter around it."""
    text = content.strip()
    if not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        if start == -1 or end <= start:
            raise ValueError("the answer contains no JSON object")
        text = text[start : end + 1]
    return json.loads(text)
