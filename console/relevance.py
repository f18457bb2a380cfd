"""``coverwatch relevance``: the topic-relevance commands. ``labels export``
writes analysts' marks as training lines (search/relevance_labels.py) and
``labels list`` shows them.

Each action is a parser of its own under the ``relevance`` group, with its own
handler, so another one (``train``) is one more ``add_parser`` in
:func:`register`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from coverwatch.settings import Settings
from search.engine import SearchEngine


def _engine() -> tuple[SearchEngine, Settings]:
    from coverwatch.settings import get_settings
    from search.engine import connect

    settings = get_settings()
    return connect(settings.search_url), settings


def _export_labels(args: argparse.Namespace) -> int:
    from search.export import write_jsonl
    from search.relevance_labels import labelled_examples

    engine, settings = _engine()
    if args.output is None:
        written = write_jsonl(labelled_examples(engine, settings), sys.stdout)
    else:
        # Written beside the target and moved over it at the end: a failed export leaves no half file.
        partial = args.output.with_name(args.output.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            written = write_jsonl(labelled_examples(engine, settings), out)
        partial.replace(args.output)
    print(f"{written} marked article(s) exported{f' to {args.output}' if args.output else ''}", file=sys.stderr)
    return 0


def _list_labels(args: argparse.Namespace) -> int:
    from search.relevance_marks import MarkLabel, list_marks

    engine, settings = _engine()
    label = MarkLabel(args.label) if args.label else None
    for mark in list_marks(engine, settings, label, args.marked_by, args.include_cleared, args.limit):
        shown = mark.label.value if mark.label else "cleared"
        print(f"{mark.marked_at:%Y-%m-%d %H:%M}  {shown:<14} {mark.marked_by:<16} {mark.article_id}  {mark.title}")
    return 0


def _feedback_items(source: str) -> list[Any]:
    """Marks to train on: an exported file, or ``index`` for the marks stored now."""
    import tempfile

    from workers.relevance_data import read_feedback_file

    if source == "index":
        from search.export import write_jsonl
        from search.relevance_labels import labelled_examples

        engine, settings = _engine()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "marks.jsonl"
            with path.open("w", encoding="utf-8") as out:
                write_jsonl(labelled_examples(engine, settings), out)
            read = read_feedback_file(path)
    else:
        read = read_feedback_file(Path(source))
    for number, why in read.skipped:
        print(f"mark on line {number} left out: {why}", file=sys.stderr)
    print(f"{len(read.items)} analysts' mark(s) added to the training data, {len(read.skipped)} left out",
          file=sys.stderr)
    return read.items


def _train(args: argparse.Namespace) -> int:
    import json

    from workers.relevance_data import LabelledDataError, dev_articles, in_split
    from workers.relevance_model import MODEL_FILE, RelevanceModelError, load_model, model_file_text
    from workers.relevance_report import cue_scorer, figures_by_file, format_row, learned_scorer, verdicts
    from workers.relevance_training import TrainingOptions, TrainingUnavailable, train

    try:
        items = dev_articles(args.dev_dir)
        training = in_split(items, "tune") + (_feedback_items(args.with_feedback) if args.with_feedback else [])
        options = TrainingOptions(c=args.c, min_df=args.min_df, cue_scale=args.cue_scale, shuffles=args.shuffles)
        card = {"trained_on": "relevance-dev tune split" + (" + analysts' marks" if args.with_feedback else ""),
                "dev_files": sorted({item.corpus for item in items})}
        model, _ = train(training, options, card)
        before = load_model(args.compare) if args.compare else None
    except (LabelledDataError, TrainingUnavailable, RelevanceModelError) as error:
        print(f"relevance train: {error}", file=sys.stderr)
        return 2
    report: dict[str, Any] = {"version": model.version, "on_topic": model.on_topic, "possible": model.possible,
                              "terms": model.term_count, "out_of_fold": model.card}
    print(f"model {model.version}: {model.term_count} terms; operating point on-topic {model.on_topic}, "
          f"possible {model.possible} (out-of-fold on the training data: "
          f"{model.card['out_of_fold_at_operating_point']})")
    scorers = {"cue model (before)": cue_scorer(), "new model": learned_scorer(model)}
    if before is not None:
        scorers[f"compared {before.version}"] = learned_scorer(before)
    for name, scorer in scorers.items():
        found, cpu_ms = verdicts(items, scorer)
        table = figures_by_file(found)
        report[name] = table | {"cpu_ms_per_article": round(cpu_ms, 3)}
        print(f"{name}: {cpu_ms:.2f} ms CPU per article")
        for corpus, splits in table.items():
            for split, row in splits.items():
                print("  " + format_row(f"{corpus} {split}", row))
    if args.dry_run:
        print("dry run: model not written")
    else:
        output = args.output or MODEL_FILE
        output.write_text(model_file_text(model), encoding="utf-8")
        print(f"written to {output}")
    print(json.dumps(report))
    return 0


def register(commands: Any) -> None:
    """Register the ``relevance`` group on the main parser's subcommands."""
    group = commands.add_parser("relevance",
                                help="topic relevance: train the model; analysts' marks as training labels")
    actions = group.add_subparsers(dest="relevance_action", required=True)
    labels = actions.add_parser("labels", help="analysts' espionage / not-espionage marks")
    label_actions = labels.add_subparsers(dest="labels_action", required=True)
    export = label_actions.add_parser(
        "export", help="every current mark with its article's text, as JSON lines for training")
    export.add_argument("--output", type=Path, help="write to this file instead of standard output")
    export.set_defaults(handler=_export_labels)
    listing = label_actions.add_parser("list", help="marks, newest first")
    listing.add_argument("--label", choices=["espionage", "not_espionage"])
    listing.add_argument("--marked-by", metavar="USER")
    listing.add_argument("--include-cleared", action="store_true")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(handler=_list_labels)
    from workers.relevance_training import TrainingOptions

    defaults = TrainingOptions()
    training = actions.add_parser(
        "train", help="rebuild the relevance model from relevance-dev (and marks) and print its figures")
    training.add_argument("--dev-dir", type=Path, help="relevance-dev folder (default ../shared/relevance-dev)")
    training.add_argument("--with-feedback", nargs="?", const="index", metavar="MARKS.jsonl",
                          help="also train on analysts' marks: an exported file, or those stored now")
    training.add_argument("--output", type=Path, help="where to write the model (default: the shipped file)")
    training.add_argument("--compare", type=Path, metavar="MODEL.json", help="also score with this model file")
    training.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    training.add_argument("--c", type=float, default=defaults.c, help="inverse L2 strength")
    training.add_argument("--min-df", type=int, default=defaults.min_df)
    training.add_argument("--cue-scale", type=float, default=defaults.cue_scale)
    training.add_argument("--shuffles", type=int, default=defaults.shuffles)
    training.set_defaults(handler=_train)
