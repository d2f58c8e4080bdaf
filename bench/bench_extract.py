"""Speed of the whole extraction over the corpus, beside the bare tokenizer + lemmatizer.

    .venv/bin/python bench/bench_extract.py [CORPUS_DIR] [--rounds N]

Parses every act of the corpus first (not timed), then times, in the same run and on the
same unit texts:

- bare: spaCy's blank tokenizer + the pymorphy3 morphology component (nlp/pipeline.py
  `norma_morph`), nothing else;
- full: `nlp.extract.annotate_act` on every act (the whole pipeline, the tree, documents).

Prints words per second, CPU time of this process (one core: the pipeline is single-threaded)
and wall time. The first round starts with cold caches; later rounds show the steady state of a
long-running process (the morphology cache is per word form). Goal: full >= 30k words/s.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import spacy  # noqa: E402

from nlp import morph  # noqa: E402
from nlp.extract import annotate_act  # noqa: E402
from nlp.pipeline import get_nlp, lang_code  # noqa: E402
from parsers import ParseError, parse_file  # noqa: E402

SKIP_SUFFIXES = (".yaml", ".tsv")


def load(corpus: Path) -> list:
    acts = []
    for f in sorted(corpus.iterdir()):
        if f.suffix in SKIP_SUFFIXES or not f.is_file():
            continue
        try:
            act = parse_file(f)
        except ParseError:
            continue
        except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the benchmark
            print(f"skip {f.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        if act.language in ("ru", "ky") and act.units:
            acts.append(act)
    return acts


def bare_pipeline(language: str) -> spacy.language.Language:
    import nlp.pipeline  # noqa: F401, PLC0415 - registers norma_morph

    pipe = spacy.blank(lang_code(language))
    pipe.add_pipe("norma_morph")
    return pipe


def timed(fn) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]) if argv and not argv[0].startswith("--") else Path("/work/shared/corpus")
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    acts = load(corpus)
    texts = [u.text or "" for a in acts for u in a.units]
    words = sum(len(t.split()) for t in texts)
    print(f"{len(acts)} acts, {len(texts)} units, {words} words")
    bare = bare_pipeline("ru")
    get_nlp("ru")
    for r in range(1, rounds + 1):
        if r == 1:
            morph.analyse.cache_clear()
            morph.parse_word.cache_clear()
            bare.get_pipe("norma_morph").cache.clear()
            get_nlp("ru").get_pipe("norma_morph").cache.clear()
        cb, wb = timed(lambda: [None for _ in bare.pipe(texts, batch_size=256)])
        cf, wf = timed(lambda: [annotate_act(a) for a in acts])
        print(f"round {r}{' (cold caches)' if r == 1 else ''}: "
              f"bare tokenizer+lemmatizer {words / cb:,.0f} words/s CPU ({cb:.2f}s, wall {wb:.2f}s); "
              f"full extraction {words / cf:,.0f} words/s CPU ({cf:.2f}s, wall {wf:.2f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
