"""Quality gates for generated answers and instructions: pure functions, each returning why a text fails
(a short reason) or None, with every threshold in :class:`GateConfig`.

    from wildlong.synth.gates import GateConfig, audit_record
    audit_record(record["messages"], GateConfig())   # [] or ["truncated: ends mid-sentence ('…of the')"]

``wildlong audit FILE.jsonl`` runs them over a dataset file.
"""

from wildlong.synth.gates.audit import audit_record, split_user_turn
from wildlong.synth.gates.config import GATES, GateConfig
from wildlong.synth.gates.form import repetition, truncated
from wildlong.synth.gates.grounding import echo, ungrounded_numbers, verbatim_copy, wrong_language
from wildlong.synth.gates.leaks import prompt_leak, refusal

__all__ = [
    "GATES",
    "GateConfig",
    "audit_record",
    "echo",
    "prompt_leak",
    "refusal",
    "repetition",
    "split_user_turn",
    "truncated",
    "ungrounded_numbers",
    "verbatim_copy",
    "wrong_language",
]
