"""``greenmatch calibrate``: choose a model's fusion weights and not-green threshold on labelled texts."""

from pathlib import Path

from greenmatch.commands.options import precision_target
from greenmatch.errors import LabelledDataError, ModelNotFoundError, check_writable_folder


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "calibrate",
        help="用带标注的数据重新校准模型的非绿色阈值和分数融合权重",
        description="在带标注的文本（需同时包含绿色和非绿色文本）上重新选择 BM25 权重、融合权重、判定分数和非绿色阈值，并写回模型文件夹。"
        "不给 --data 时使用训练时留出的文本。",
    )
    parser.add_argument("--model", required=True, metavar="DIR", help="本地模型文件夹（greenmatch train 的输出）")
    parser.add_argument("--data", metavar="FILE", help="带标注的数据文件（CSV、XLSX）；默认使用训练时留出的文本")
    parser.add_argument("--text-column", metavar="列名", help="文本所在的列；默认自动识别")
    parser.add_argument("--codes-column", metavar="列名", help="目录代码所在的列；默认自动识别")
    parser.add_argument(
        "--target-precision",
        type=precision_target,
        default=None,
        metavar="P",
        help="非绿色判定的目标精确率（大于 0、不超过 1）；默认取 F1 最大的阈值",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    from greenmatch.calibration import MIN_GREEN_TO_CHOOSE_WEIGHTS, calibrate
    from greenmatch.labelled import load_dataset_or_file
    from greenmatch.matcher import CONFIG_NAME, Matcher
    from greenmatch.model_card import write_model_card
    from greenmatch.training import config_from_dict, prepare_data

    folder = Path(args.model)
    if not (folder / CONFIG_NAME).exists():
        raise ModelNotFoundError(f"{folder} 不是本地的 greenmatch 模型文件夹（缺少 {CONFIG_NAME}）。请先用 greenmatch pull 下载到本地。")
    # The new settings and card are written back into the model folder.
    check_writable_folder(folder, "--model")
    matcher = Matcher.from_pretrained(folder)

    if args.data:
        selection = load_dataset_or_file(args.data, matcher.catalogue, text_column=args.text_column, codes_column=args.codes_column)
        source = args.data
    else:
        training_config = config_from_dict(matcher.config.training.get("config", {}))
        selection = prepare_data(training_config).selection
        source = "训练时留出的文本"

    green = sum(item.is_green for item in selection)
    if green == 0 or green == len(selection):
        kind = "绿色" if green else "非绿色"
        raise LabelledDataError(
            f"{source} 中的 {len(selection)} 条文本全部是{kind}文本，无法校准非绿色阈值。"
            "请提供同时包含绿色文本（填写目录代码）和非绿色文本（代码留空）的标注数据；模型未作任何修改。"
        )

    report = calibrate(matcher, selection, target_precision=args.target_precision, shortlist=matcher.config.shortlist)
    matcher.config.training.setdefault("calibration_history", []).append({"data": str(source), **report})
    matcher.config.save(folder / CONFIG_NAME)
    write_model_card(folder, matcher.config)

    config = matcher.config
    print(f"已在 {source}（{len(selection)} 条）上重新校准 {folder}：")
    if report["weights_chosen"]:
        print(f"  BM25 权重 {config.lexical_weight:.2f}，融合权重 {config.fusion_weight:.2f}")
    else:
        print(
            f"  绿色文本只有 {report['selection_green']} 条（少于 {MIN_GREEN_TO_CHOOSE_WEIGHTS} 条），不足以重新选择权重，"
            f"沿用模型原有的 BM25 权重 {config.lexical_weight:.2f} 和融合权重 {config.fusion_weight:.2f}，只重新校准阈值。"
        )
    print(f"  判定分数 {config.verdict_score}，非绿色阈值 {config.threshold:.4f}")
    print(f"  {config.threshold_source}")
    return 0
