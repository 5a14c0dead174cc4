"""Languages as ISO 639-1 codes: the source's label when it has one, else detected offline (py3langid).

Short messages fool every detector ("Explain deposition" comes out French): a detection whose normalised
probability is below ``min_confidence`` is *undetermined* (None), which the read filter keeps by default.
"""

from __future__ import annotations

import functools
from typing import Any

# WildChat labels conversations with English language names.
_NAMES = {
    "english": "en", "chinese": "zh", "russian": "ru", "french": "fr", "spanish": "es",
    "portuguese": "pt", "german": "de", "arabic": "ar", "italian": "it", "turkish": "tr",
    "japanese": "ja", "korean": "ko", "indonesian": "id", "polish": "pl", "vietnamese": "vi",
    "dutch": "nl", "persian": "fa", "ukrainian": "uk", "greek": "el", "swedish": "sv", "czech": "cs",
    "hungarian": "hu", "romanian": "ro", "hindi": "hi", "thai": "th", "hebrew": "he", "danish": "da",
    "finnish": "fi", "norwegian": "no", "bokmal": "nb", "malay": "ms", "bengali": "bn", "urdu": "ur",
    "tagalog": "tl", "catalan": "ca", "serbian": "sr", "croatian": "hr", "bulgarian": "bg",
    "slovak": "sk", "slovenian": "sl", "lithuanian": "lt", "latvian": "lv", "estonian": "et",
    "latin": "la", "swahili": "sw", "tamil": "ta", "kazakh": "kk", "uzbek": "uz", "azerbaijani": "az",
}  # fmt: skip


def code_for_label(label: str) -> str:
    """'English' -> 'en', 'en-US' -> 'en', 'zh-cn' -> 'zh'; an unknown name comes back lower-cased."""
    text = label.strip().lower()
    if text in _NAMES:
        return _NAMES[text]
    head = text.replace("_", "-").split("-")[0]
    return head if len(head) in (2, 3) and head.isalpha() else text


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str, *, chars: int = 2000, min_confidence: float = 0.5) -> str | None:
    """The ISO code of ``text`` (its first ``chars`` characters), or None when unsure."""
    sample = text[:chars].strip()
    if not sample:
        return None
    code, probability = _identifier().classify(sample)
    return str(code) if float(probability) >= min_confidence else None
