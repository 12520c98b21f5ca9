#!/usr/bin/env python3
"""Presidio and Custos on the same labeled corpus, side by side: accuracy and throughput.

Not run in CI. Usage (from the repository root):

    python3 bench/presidio/compare.py                     # sets up bench/presidio/.venv once
    python3 bench/presidio/compare.py --corpus my.jsonl   # your own held-out corpus
    python3 bench/presidio/compare.py --custos-cmd "target/release/custos redact --format spans"

Setup: creates a virtualenv next to this script and installs `presidio-analyzer` and spaCy
from PyPI, then the spaCy English model with `python -m spacy download` (Presidio's default
is en_core_web_lg; pass --spacy-model en_core_web_sm for a quicker, weaker run). Where the
model cannot be downloaded, pass --model-wheel with a local wheel file, or --spacy-model with
the directory of a spaCy pipeline saved to disk. (A blank pipeline,
`spacy.blank("en").to_disk(DIR)`, exercises the harness but leaves Presidio without NER: its
PERSON and LOCATION findings then mean nothing.)

Corpus: JSON lines as in testdata/redact/corpus.jsonl: {"id", "text" | "turns", "spans", "tags"}.
Conversations are given to both tools as one text of "speaker: text" lines, since
`custos redact --format spans` takes one text per line; gold offsets are shifted to match.
Offsets are Unicode code points on both sides (CONTRACT.md; Presidio's are Python str indices).

Metrics, as in crates/custos-redact/tests/it/corpus.rs: leaked sensitive characters (labeled
non-space characters not covered by any predicted span), recall per type (a labeled span counts
when none of its characters leaks), micro precision (predicted spans overlapping some labeled
span), hard negatives flagged (cases tagged hard_negative with any span), card recall per form.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time
import venv

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
VENV = os.path.join(HERE, ".venv")
PRESIDIO_TYPES = {
    "US_BANK_NUMBER": "US_BANK_ACCOUNT",
    "DATE_TIME": "DATE_OF_BIRTH",
    "LOCATION": "STREET_ADDRESS",
    "US_DRIVER_LICENSE": "OTHER",
}


def venv_python():
    return os.path.join(VENV, "bin", "python")


def ensure_venv(model, wheel):
    # A model given as a directory (a spaCy pipeline saved to disk) needs no download.
    local = os.path.isdir(model)
    marker = os.path.join(VENV, ".custos-ready-" + ("local" if local else model))
    if os.path.exists(marker):
        return
    if not os.path.exists(venv_python()):
        venv.create(VENV, with_pip=True)
    py = venv_python()
    subprocess.check_call([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    subprocess.check_call([py, "-m", "pip", "install", "--quiet", "presidio-analyzer", "spacy"])
    if wheel:
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", wheel])
    elif not local:
        subprocess.check_call([py, "-m", "spacy", "download", model])
    open(marker, "w").close()


def load_cases(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            c = json.loads(line)
            if "turns" in c:
                text, starts = "", []
                for i, t in enumerate(c["turns"]):
                    if i:
                        text += "\n"
                    text += t["speaker"] + ": "
                    starts.append(len(text))
                    text += t["text"]
                spans = [{**s, "start": s["start"] + starts[s.get("turn", 0)], "end": s["end"] + starts[s.get("turn", 0)]} for s in c["spans"]]
            else:
                text, spans = c["text"], c["spans"]
            cases.append({"id": c["id"], "channel": c.get("channel", ""), "text": text, "spans": spans, "tags": c.get("tags", [])})
    return cases


def run_custos(cases, cmd):
    payload = "".join(json.dumps({"id": c["id"], "text": c["text"]}) + "\n" for c in cases).encode()
    start = time.perf_counter()
    out = subprocess.run(shlex.split(cmd), input=payload, capture_output=True, check=True, cwd=ROOT).stdout
    elapsed = time.perf_counter() - start
    by_id = {}
    for line in out.decode().splitlines():
        r = json.loads(line)
        by_id[r["id"]] = [(s["start"], s["end"], s["type"]) for s in r["spans"]]
    return [by_id.get(c["id"], []) for c in cases], elapsed


PRESIDIO_WORKER = r"""
import json, sys, time
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
model = sys.argv[1]
provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]})
engine = AnalyzerEngine(nlp_engine=provider.create_engine())
texts = [json.loads(l)["text"] for l in sys.stdin if l.strip()]
engine.analyze(text="warm up 4111 1111 1111 1111", language="en")
start = time.perf_counter()
results = [[(r.start, r.end, r.entity_type) for r in engine.analyze(text=t, language="en")] for t in texts]
elapsed = time.perf_counter() - start
print(json.dumps({"elapsed": elapsed, "results": results}))
"""


def run_presidio(cases, model):
    payload = "".join(json.dumps({"text": c["text"]}) + "\n" for c in cases).encode()
    out = subprocess.run([venv_python(), "-c", PRESIDIO_WORKER, model], input=payload, capture_output=True, check=True).stdout
    data = json.loads(out)
    results = [[(s, e, PRESIDIO_TYPES.get(t, t)) for s, e, t in r] for r in data["results"]]
    return results, data["elapsed"]


def score(cases, predictions):
    per_type, forms = {}, {}
    gold_chars = leaked = tr_chars = tr_leaked = predicted = predicted_true = 0
    negatives = negatives_flagged = 0
    for case, preds in zip(cases, predictions):
        text = case["text"]
        covered = [False] * len(text)
        for s, e, _ in preds:
            for i in range(max(0, s), min(e, len(text))):
                covered[i] = True
        in_gold = [False] * len(text)
        for g in case["spans"]:
            st = per_type.setdefault(g["type"], [0, 0])
            st[0] += 1
            sensitive = [i for i in range(g["start"], g["end"]) if not text[i].isspace()]
            miss = sum(1 for i in sensitive if not covered[i])
            gold_chars += len(sensitive)
            leaked += miss
            if case["channel"] == "transcript":
                tr_chars += len(sensitive)
                tr_leaked += miss
            st[1] += miss == 0
            if g["type"] == "CREDIT_CARD":
                f = forms.setdefault(g.get("form", "other"), [0, 0])
                f[0] += 1
                f[1] += miss == 0
            for i in range(g["start"], g["end"]):
                in_gold[i] = True
        for s, e, _ in preds:
            predicted += 1
            predicted_true += any(in_gold[max(0, s):min(e, len(text))])
        if "hard_negative" in case["tags"]:
            negatives += 1
            negatives_flagged += bool(preds)
    ratio = lambda a, b: a / b if b else 0.0
    return {
        "leak": ratio(leaked, gold_chars),
        "transcript_leak": ratio(tr_leaked, tr_chars),
        "precision": ratio(predicted_true, predicted),
        "negatives": ratio(negatives_flagged, negatives),
        "recall": {t: ratio(v[1], v[0]) for t, v in sorted(per_type.items())},
        "card_forms": {f: ratio(v[1], v[0]) for f, v in sorted(forms.items())},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "testdata", "redact", "corpus.jsonl"))
    ap.add_argument("--custos-cmd", default="custos redact --format spans")
    ap.add_argument("--spacy-model", default="en_core_web_lg")
    ap.add_argument("--model-wheel", default=None, help="install the spaCy model from this wheel instead of downloading it")
    ap.add_argument("--limit", type=int, default=0, help="only the first N cases (Presidio is slow)")
    ap.add_argument("--skip-presidio", action="store_true")
    args = ap.parse_args()

    cases = load_cases(args.corpus)
    if args.limit:
        cases = cases[: args.limit]
    size = sum(len(c["text"].encode()) for c in cases)
    print("corpus: %d cases, %.2f MB" % (len(cases), size / 1e6))

    columns = []
    custos_preds, custos_time = run_custos(cases, args.custos_cmd)
    columns.append(("Custos", score(cases, custos_preds), custos_time))
    if not args.skip_presidio:
        ensure_venv(args.spacy_model, args.model_wheel)
        presidio_preds, presidio_time = run_presidio(cases, args.spacy_model)
        columns.append(("Presidio (%s)" % args.spacy_model, score(cases, presidio_preds), presidio_time))

    width = 26
    print("\n%-28s" % "" + "".join("%*s" % (width, name) for name, _, _ in columns))
    rows = [
        ("leaked sensitive chars", lambda s: "%.3f%%" % (100 * s["leak"])),
        ("  in transcripts", lambda s: "%.3f%%" % (100 * s["transcript_leak"])),
        ("micro precision", lambda s: "%.4f" % s["precision"]),
        ("hard negatives flagged", lambda s: "%.2f%%" % (100 * s["negatives"])),
    ]
    for label, fmt in rows:
        print("%-28s" % label + "".join("%*s" % (width, fmt(s)) for _, s, _ in columns))
    types = sorted({t for _, s, _ in columns for t in s["recall"]})
    for t in types:
        print("%-28s" % ("recall " + t) + "".join("%*s" % (width, "%.4f" % s["recall"].get(t, 0.0)) for _, s, _ in columns))
    forms = sorted({f for _, s, _ in columns for f in s["card_forms"]})
    for f in forms:
        print("%-28s" % ("card recall (" + f + ")") + "".join("%*s" % (width, "%.4f" % s["card_forms"].get(f, 0.0)) for _, s, _ in columns))
    print("%-28s" % "throughput" + "".join("%*s" % (width, "%.3f MB/s" % (size / 1e6 / t)) for _, _, t in columns))
    print("\nCustos time includes starting the process; Presidio's excludes loading the model.")


if __name__ == "__main__":
    sys.exit(main())
