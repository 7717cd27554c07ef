"""The refusal threshold: evidence below MIN_EVIDENCE and the answer is "I could not find
that". Its one place: `AnswerOptions` and the MIN_EVIDENCE setting both take it from here."""

from __future__ import annotations

# calibrated on ../shared/eval (the refusal curve in docs/evaluation): unanswered questions
# score 0.06-0.22 on the sample store, answered ones 0.42-0.66
MIN_EVIDENCE = 0.36
