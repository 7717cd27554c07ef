"""CPU time per answer: RealTime QA's questions asked on their quiz's day (`asked_at`) and
without a date, in one process over the store bench/realtimeqa.py built.

    .venv/bin/python bench/realtimeqa.py --work /tmp/newsdesk-rtqa     # once: the store
    .venv/bin/python bench/answer_cpu.py --work /tmp/newsdesk-rtqa [--rounds 3]

CPU time is the process's (every thread's: ONNX Runtime's included), read around each
answer after one warm-up answer; p50 and p95 over --rounds passes of the questions. Three
configurations: ONNX Runtime on every core (`EMBEDDING_THREADS=0` as a process that
ingests runs it), `newsdesk ask`'s (`question_settings`: one thread) and the Discord bot's
(`bot_settings`: each of its ANSWER_WORKERS gets an equal share of the cores, one thread
each on 2 cores). Nothing is written. CPU time counts the time a busy host
takes from this machine's virtual cores too: compare configurations or versions in the
same run, or runs at the same load (printed).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.answering.engine import AnswerEngine  # noqa: E402
from bot.app import App, bot_settings, question_settings  # noqa: E402
from bot.evaluation import asked_day, load_jsonl  # noqa: E402
from bot.settings import Settings  # noqa: E402


def cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def figures(engine: AnswerEngine, questions: list[dict[str, object]], rounds: int, dated: bool) -> str:
    times = []
    for _ in range(rounds):
        for q in questions:
            t0 = cpu_ms()
            engine.answer(str(q["question"]), k=10, asked_at=asked_day(q) if dated else None)
            times.append(cpu_ms() - t0)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return f"{len(times)} answers, CPU p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True, help="bench/realtimeqa.py's --work folder")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    questions = load_jsonl(args.work / "questions.jsonl")
    base = Settings(_env_file=None, newsdesk_data_dir=args.work / "store")  # type: ignore[call-arg]
    configurations = (
        ("every core", base),
        ("ask (one thread)", question_settings(base)),
        ("bot (bot_settings)", bot_settings(base)),
    )
    for name, settings in configurations:
        engine = App(settings).engine
        engine.answer(str(questions[0]["question"]))
        print("load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()), flush=True)
        for dated in (True, False):
            print(
                f"{name:20} asked_at={dated!s:5}: {figures(engine, questions, args.rounds, dated)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
