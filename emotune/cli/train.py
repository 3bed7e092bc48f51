"""`emotune train`: train the emotion CNN, or export a checkpoint as the shipped model.

    emotune train --data fer2013_trainval.npz --out runs/my_run          # train
    emotune train --data ... --resume runs/my_run                       # continue a run
    emotune train --data ... --export-from runs/my_run/best.keras       # calibrate + export to models/

Needs the ``train`` extra (TensorFlow, matplotlib); imported only inside :func:`run` so that
``emotune --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys

from emotune.cli._common import (
    fail,
    fraction,
    non_negative_int,
    positive_float,
    positive_int,
    seed_int,
)

DATA_ENV = "EMOTUNE_DATA"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `train` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="train the emotion model, or export a checkpoint (--export-from)",
        description="Train the emotion CNN on FER2013/FER+ (writes train.log, best.keras, last.keras, "
        "history.csv into --out), or with --export-from calibrate and export a checkpoint to models/.",
    )
    parser.add_argument(
        "--data",
        default=os.environ.get(DATA_ENV),
        help=f"npz with x_train/y_train (+ ferplus_votes_train, nf_train); default ${DATA_ENV}",
    )
    parser.add_argument(
        "--labels",
        choices=("ferplus", "fer2013", "blend"),
        default="blend",
        help="training targets (default blend)",
    )
    parser.add_argument(
        "--ferplus-weight",
        type=fraction,
        default=0.5,
        help="FER+ share of the blend targets (default 0.5)",
    )
    parser.add_argument(
        "--arch",
        default="compact_vgg",
        help="compact_vgg, compact_vgg_fast, compact_vgg_lite, compact_vgg_sep, compact_vgg_wide, vgg_teacher, small_resnet, mini_xception, mobilenet",
    )
    parser.add_argument("--epochs", type=positive_int, default=60)
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--learning-rate", type=positive_float, default=1e-3)
    parser.add_argument(
        "--schedule",
        choices=("plateau", "cosine"),
        default="plateau",
        help="plateau: halve the rate when the tuning loss stalls; cosine: decay to 1%% over --epochs",
    )
    parser.add_argument(
        "--patience", type=non_negative_int, default=12, help="early-stopping patience in epochs"
    )
    parser.add_argument(
        "--seed",
        type=seed_int,
        default=1234,
        help="seed for weights, shuffling and the tuning split",
    )
    parser.add_argument(
        "--max-train", type=positive_int, default=None, help="cap training rows (smoke tests)"
    )
    parser.add_argument("--out", default="runs/latest", help="run folder (default runs/latest)")
    parser.add_argument(
        "--resume", metavar="PATH", help="run folder or last.keras to continue from"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="one line per epoch instead of a progress bar"
    )
    parser.add_argument(
        "--teacher",
        action="append",
        default=[],
        metavar="KERAS",
        help="distil from this trained model (repeat for an ensemble); it must not have seen the tuning rows",
    )
    parser.add_argument(
        "--teacher-weight",
        type=fraction,
        default=0.5,
        help="teachers' share of the targets (default 0.5)",
    )
    parser.add_argument(
        "--teacher-views",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="teachers score N fixed augmented views of each face, and training draws one per epoch "
        "(CPU trainer; default 0: teachers score the plain faces)",
    )
    parser.add_argument(
        "--init-from",
        metavar="KERAS",
        help="start from this model's weights (same --arch) instead of random ones",
    )
    parser.add_argument(
        "--time-budget",
        type=positive_float,
        metavar="SECONDS",
        help="train from scratch for this long (cosine over time, augmentation inside the compiled step; "
        "runs on any Keras backend, e.g. KERAS_BACKEND=jax on a GPU machine without TensorFlow)",
    )
    export = parser.add_argument_group("export (instead of training)")
    export.add_argument(
        "--export-from",
        metavar="CKPT",
        help="export this .keras checkpoint (e.g. runs/x/best.keras) instead of training",
    )
    export.add_argument(
        "--models-dir",
        default=None,
        help="where to write emotion.tflite & co. (default: the project's models/)",
    )
    export.add_argument(
        "--quantization",
        choices=("auto", "float32", "dynamic", "int8"),
        default="auto",
        help="auto: fastest variant within --max-accuracy-drop of float on the tuning split",
    )
    export.add_argument(
        "--max-accuracy-drop",
        type=fraction,
        default=0.005,
        help="allowed tuning-accuracy loss for auto (default 0.005)",
    )
    export.add_argument(
        "--run-dir",
        default=None,
        help="run folder with tune_index.npy (default: the checkpoint's folder)",
    )
    export.add_argument(
        "--with-val",
        action="store_true",
        help="also evaluate on val for the model card (final export only)",
    )
    ensemble = parser.add_argument_group("ensemble export (instead of training)")
    ensemble.add_argument(
        "--export-ensemble",
        nargs="+",
        metavar="MEMBER",
        help="ship these networks as one ensemble: .tflite files already in --models-dir are used as they "
        "are, .keras checkpoints are exported there first (dynamic-range quantized); then the ensemble's "
        "temperature, class-prior bias and output prior are fitted on the tuning split",
    )
    ensemble.add_argument(
        "--weights",
        type=positive_float,
        nargs="+",
        default=None,
        help="one weight per member (default equal)",
    )
    ensemble.add_argument(
        "--combine",
        choices=("probabilities", "logits"),
        default="probabilities",
        help="average the members' probabilities (default) or logits",
    )
    ensemble.add_argument(
        "--no-mirror", action="store_true", help="do not average each face with its mirror image"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Train, or export when ``--export-from`` is given."""
    if not args.data:
        return fail(f"--data is required (or set {DATA_ENV}); e.g. --data fer2013_trainval.npz")
    if not os.path.isfile(args.data):
        return fail(f"data file {args.data} not found")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        if args.export_ensemble:
            return _export_ensemble(args)
        if args.export_from:
            return _export(args)
        return _train(args)
    except ImportError as error:
        return fail(f"training needs the 'train' extra (pip install -e '.[train]'): {error}")


def _train(args: argparse.Namespace) -> int:
    from emotune.training.run_setup import TrainConfig

    config = TrainConfig(
        data=args.data,
        out=args.out,
        arch=args.arch,
        labels=args.labels,
        ferplus_weight=args.ferplus_weight,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        schedule=args.schedule,
        seed=args.seed,
        max_train=args.max_train,
        teachers=list(args.teacher),
        teacher_weight=args.teacher_weight,
        teacher_views=args.teacher_views,
        init_from=args.init_from,
    )
    for path in [*config.teachers, *([config.init_from] if config.init_from else [])]:
        if not os.path.isfile(path):
            return fail(f"model {path} not found")
    if args.teacher_views < 0:
        return fail("--teacher-views must be 0 or more")
    if args.teacher_views and not config.teachers:
        return fail("--teacher-views needs at least one --teacher")
    # A progress bar on a terminal; one line per epoch in logs and pipes.
    verbose = 2 if args.quiet or not sys.stdout.isatty() else 1
    if args.time_budget is not None:
        if args.teacher_views:
            return fail("--teacher-views works with the CPU trainer only, not with --time-budget")
        if args.resume:
            return fail(
                "--time-budget starts a run from scratch; it cannot be combined with --resume"
            )
        from emotune.training.accelerated import train_time_boxed

        out = train_time_boxed(config, args.time_budget, verbose=verbose)
    else:
        from emotune.training.train import train

        out = train(config, resume=args.resume, verbose=verbose)
    print(
        f"done: {out / 'best.keras'} (log {out / 'train.log'}). Export it with:\n"
        f"  emotune train --data {args.data} --export-from {out / 'best.keras'}"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from emotune.paths import MODELS_DIR
    from emotune.training.export import export

    if not os.path.isfile(args.export_from):
        return fail(f"checkpoint {args.export_from} not found")
    metrics = export(
        args.export_from,
        args.data,
        out_dir=args.models_dir or MODELS_DIR,
        quantization=args.quantization,
        run_dir=args.run_dir,
        max_accuracy_drop=args.max_accuracy_drop,
        with_val=args.with_val,
    )
    tune = metrics["tune"]
    print(
        f"exported {metrics['model']['quantization']} model, T={metrics['model']['temperature']:.3f}: "
        f"tune accuracy {tune['accuracy']:.4f} (FER2013), {tune.get('accuracy_ferplus', float('nan')):.4f} (FER+)"
    )
    return 0


def _export_ensemble(args: argparse.Namespace) -> int:
    from emotune.paths import MODELS_DIR
    from emotune.training.ensemble import build_ensemble

    for member in args.export_ensemble:
        if not os.path.isfile(member):
            return fail(f"ensemble member {member} not found")
    if args.weights is not None and len(args.weights) != len(args.export_ensemble):
        return fail(f"{len(args.weights)} weights for {len(args.export_ensemble)} members")
    build_ensemble(
        args.export_ensemble,
        args.data,
        args.models_dir or MODELS_DIR,
        weights=args.weights,
        combine=args.combine,
        mirror=not args.no_mirror,
        run_dir=args.run_dir,
    )
    return 0
