"""Token efficiency of batching: prompt tokens per abstract token, batched vs one per request.

    .venv/bin/python bench/bench_tokens.py                 # the 119 seed papers
    .venv/bin/python bench/bench_tokens.py --size 30       # the first 30 (CI)

Runs the real summarize path (LLMBatchSummarizer, real openai client over HTTP) on the seed
papers against the local test server, which answers each paper with its gold annotation (what
a perfect model would say), and counts every request's messages with the real tiktoken
tokenizer of the model. Reported:

* prompt tokens / abstract tokens: everything sent (instructions, JSON framing, ids, titles,
  abstracts, chat-format overhead) over the tokens of the abstracts alone; target <= 1.25 at the
  default settings;
* the same with the response_format JSON schema counted too (providers bill it as input);
* output tokens per paper: the gold answers' tokens.

Both settings run in the same process on the same papers: the defaults (batch_token_budget,
max_papers_per_batch from agent/config.py) and one abstract per request.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.config import Settings  # noqa: E402
from agent.ingest.step import ingest_files  # noqa: E402
from agent.llm.client import LLM  # noqa: E402
from agent.llm.tokens import count_tokens  # noqa: E402
from agent.summarize.engines import LLMBatchSummarizer, summarize_pending  # noqa: E402
from evals.gold import load_gold  # noqa: E402
from prompts import load_prompt  # noqa: E402
from store.db import open_engine  # noqa: E402
from tests.fake_openai import FakeOpenAIServer, Reply  # noqa: E402
from tests.llm_answers import papers_in  # noqa: E402

SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"
MODEL = "gpt-4.1-mini"
# Chat format: each message costs its content plus ~3 tokens of framing, and the reply is
# primed with 3 more (OpenAI's published counting recipe).
PER_MESSAGE, PER_REQUEST = 3, 3


def request_tokens(body: dict[str, Any]) -> int:
    messages = body["messages"]
    return PER_REQUEST + sum(PER_MESSAGE + count_tokens(m["content"], MODEL) for m in messages)


def schema_tokens(body: dict[str, Any]) -> int:
    fmt = body.get("response_format")
    return count_tokens(json.dumps(fmt, separators=(",", ":")), MODEL) if fmt else 0


def measure(papers_file: Path, **llm: Any) -> dict[str, float]:
    gold = load_gold()
    answers = {pid: summary.model_dump(mode="json") for pid, summary in gold.items()}

    def handler(body: dict[str, Any]) -> Reply:
        entries = [answers[p["id"]] for p in papers_in(body)]
        return Reply.content({"papers": entries})

    with FakeOpenAIServer(handler=handler) as server, tempfile.TemporaryDirectory() as tmp:
        store = open_engine(f"sqlite:///{tmp}/bench.db")
        ingest_files(store, [papers_file])
        settings = Settings(llm={"base_url": server.url, "model": MODEL, **llm})
        summarizer = LLMBatchSummarizer(LLM(settings.llm, store), settings, concurrency=4)
        report = summarize_pending(store, summarizer)
        bodies = server.chat_requests()
    sent = [p for body in bodies for p in papers_in(body)]
    abstract_tokens = sum(count_tokens(p["abstract"], MODEL) for p in sent)
    prompt = sum(request_tokens(b) for b in bodies)
    schema = sum(schema_tokens(b) for b in bodies)
    output = sum(
        count_tokens(json.dumps(answers[p["id"]], ensure_ascii=False), MODEL) for p in sent
    )
    return {
        "papers": report.summarized,
        "failed": report.failed,
        "requests": len(bodies),
        "abstract_tokens": abstract_tokens,
        "prompt_tokens": prompt,
        "ratio": prompt / abstract_tokens,
        "ratio_with_schema": (prompt + schema) / abstract_tokens,
        "output_per_paper": output / max(len(sent), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=None, help="first N seed papers (default all)")
    parser.add_argument("--max-ratio", type=float, default=1.25, help="fail above this ratio")
    args = parser.parse_args()
    defaults = Settings().llm
    with tempfile.TemporaryDirectory() as tmp:
        papers_file = Path(tmp) / "papers.jsonl"
        lines = SEED.read_text(encoding="utf-8").splitlines()
        papers_file.write_text("\n".join(lines[: args.size]) + "\n", encoding="utf-8")
        columns = {
            "defaults": measure(papers_file),
            "v1": measure(papers_file, prompt_version="v1"),
            "single": measure(papers_file, max_papers_per_batch=1),
        }
    print(
        f"model {MODEL}; defaults: batch_token_budget={defaults.batch_token_budget}, "
        f"max_papers_per_batch={defaults.max_papers_per_batch}, "
        f"prompt summarize/{load_prompt('summarize', defaults.prompt_version).version}; "
        f"v1: the same with the first, longer prompt; single: defaults, one abstract a request"
    )
    print(f"{'':22}{'defaults':>14}{'v1 prompt':>14}{'single':>14}")
    for key, fmt in (
        ("papers", "{:.0f}"),
        ("failed", "{:.0f}"),
        ("requests", "{:.0f}"),
        ("abstract_tokens", "{:,.0f}"),
        ("prompt_tokens", "{:,.0f}"),
        ("ratio", "{:.3f}"),
        ("ratio_with_schema", "{:.3f}"),
        ("output_per_paper", "{:.1f}"),
    ):
        row = "".join(f"{fmt.format(columns[c][key]):>14}" for c in ("defaults", "v1", "single"))
        print(f"{key:22}{row}")
    for name in ("defaults", "v1"):
        saved = 1 - columns[name]["prompt_tokens"] / columns["single"]["prompt_tokens"]
        print(f"{name}: batching saves {saved:.0%} of the prompt tokens of one-per-request")
    ratio = columns["defaults"]["ratio"]
    verdict = "ok" if ratio <= args.max_ratio else "FAIL"
    print(f"{verdict}: ratio at the default settings {ratio:.3f} (target <= {args.max_ratio})")
    if verdict == "FAIL":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
