"""Match one column of a CSV or XLSX file over several processes, as ``greenmatch match-file`` does in one.

Single process:

    python recipes/match_batch.py --input loans.xlsx --column 贷款用途 --output loans_matched.xlsx --model outputs/quick

Two GPUs:

    accelerate launch --num_processes 2 recipes/match_batch.py --input loans.xlsx --column 贷款用途 --output loans_matched.xlsx --model outputs/quick

Two CPU processes. ``accelerate launch --cpu --num_processes 2`` starts a single process
(accelerate 1.16), so ask for a multi-process launch and tell accelerate to stay on the CPU:

    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 recipes/match_batch.py --input loans.xlsx --column 贷款用途 --output loans_matched.xlsx --model outputs/quick

With the arguments in a YAML file (keys are the field names of `MatchBatchArguments`):

    accelerate launch --num_processes 2 recipes/match_batch.py my_batch.yaml

Add ``--resume`` to continue an interrupted run. It may use another number of processes.

The rows are cut into chunks of ``--chunk_size`` consecutive rows, and the chunks not finished
yet are split between the processes. Each process appends its finished chunks to its own
progress file ``OUT.partial.<process index>.jsonl``, in the format of `greenmatch.batch`.
The results are gathered to the main process, which writes the output in input order and
removes the progress files. A chunk is encoded as the same batch however many processes
run, so the output equals that of ``greenmatch match-file`` with the same chunk size.

NOTE: every process reads and writes the progress files beside the output, so with more
than one machine the output folder must be on a filesystem that all of them share.
"""

import logging
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from accelerate import PartialState
from accelerate.utils import gather_object, parse_flag_from_env
from transformers import HfArgumentParser

from greenmatch.batch import BatchJob, ProgressWriter, RowResult, format_summary, progress_path
from greenmatch.errors import GreenmatchError
from greenmatch.matcher import CONFIG_NAME, Matcher
from greenmatch.models import default_model_dir, load_matcher

logger = logging.getLogger(__name__)


@dataclass
class MatchBatchArguments:
    """Arguments of the batch-matching recipe, the same as the options of ``greenmatch match-file``."""

    input: str = field(metadata={"help": "输入表格（CSV、XLSX、TSV 或 JSONL）；文本列按文本匹配，其余各列按原值写回"})
    column: str = field(metadata={"help": "要匹配的文本所在的列，例如 项目名称"})
    output: str = field(metadata={"help": "输出表格，扩展名为 .csv 或 .xlsx，不能与输入文件相同"})
    model: Optional[str] = field(default=None, metadata={"help": "模型文件夹或 Hub 模型 ID；默认使用 greenmatch quickstart 训练的快速模型"})
    top_k: int = field(default=3, metadata={"help": "每行保留前几个匹配条目"})
    shortlist: Optional[int] = field(default=None, metadata={"help": "交叉编码器重排的候选条目数（默认取模型设置）；0 表示对全部条目打分"})
    chunk_size: int = field(default=256, metadata={"help": "每次匹配并保存进度的行数"})
    resume: bool = field(default=False, metadata={"help": "从上次中断处继续，沿用各进程进度文件中已完成的行"})
    sheet: Optional[str] = field(default=None, metadata={"help": "XLSX 输入要读取的工作表名称；默认第一个工作表"})
    progress: bool = field(default=True, metadata={"help": "在主进程显示进度条"})


def parse_arguments() -> MatchBatchArguments:
    parser = HfArgumentParser(MatchBatchArguments)
    if len(sys.argv) == 2 and sys.argv[1].endswith((".yaml", ".yml")):
        (arguments,) = parser.parse_yaml_file(sys.argv[1])
    else:
        (arguments,) = parser.parse_args_into_dataclasses()
    return arguments


def shortlist_setting(shortlist: Optional[int]):
    """Translate the --shortlist value as ``greenmatch match-file`` does: None is the model's setting, 0 is every entry."""
    if shortlist is None:
        return "config"
    return None if shortlist == 0 else shortlist


def load_matcher_on(model: Optional[str], device: str) -> Matcher:
    """Load the matcher onto this process's device; without --model, the quick model that quickstart trains."""
    if model is None:
        if not (default_model_dir() / CONFIG_NAME).exists():
            return load_matcher(None)  # raises ModelNotFoundError, whose message asks for greenmatch quickstart
        model = str(default_model_dir())
    return Matcher.from_pretrained(model, device=device)


def match_share(job: BatchJob, matcher, chunks, chunk_size: int, header: dict, own_file: Path, valid_bytes, show_progress: bool) -> list:
    """Match this process's chunks, saving each to its progress file, and return them as ``(chunk, rows)`` pairs."""
    from tqdm import tqdm

    rows_total = sum(len(job.chunk_rows(chunk, chunk_size)) for chunk in chunks)
    finished = []
    with ProgressWriter(own_file, header, valid_bytes) as writer, tqdm(total=rows_total, unit="行", desc="匹配（主进程）", disable=not show_progress) as bar:
        for chunk in chunks:
            rows = job.match_chunk(matcher, chunk, chunk_size, header["shortlist"])
            writer.append(chunk, rows)
            finished.append((chunk, [asdict(row) for row in rows]))
            bar.update(len(rows))
    return finished


def main(arguments: MatchBatchArguments) -> int:
    # 1. Join the process group. PartialState needs cpu=True to form a group of CPU processes.
    started = time.monotonic()
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))
    logger.info("Process %d of %d on %s", state.process_index, state.num_processes, state.device)

    # 2. Check the request and read the table: the same checks as greenmatch match-file.
    job = BatchJob.prepare(
        arguments.input,
        arguments.column,
        arguments.output,
        top_k=arguments.top_k,
        chunk_size=arguments.chunk_size,
        resume=arguments.resume,
        sheet=arguments.sheet,
    )

    # 3. Load the model onto this process's device.
    matcher = load_matcher_on(arguments.model, str(state.device))

    # 4. Read the chunks finished by an interrupted run. Every process reads them before any
    #    process creates its own progress file, so all processes see the same pending chunks.
    header = job.header(matcher, shortlist_setting(arguments.shortlist))
    progress = job.load_progress(header)
    header["chunk_size"] = progress.chunk_size
    pending = job.pending_chunks(progress)
    state.wait_for_everyone()

    # 5. Split the pending chunks between the processes and match this process's share.
    own_file = progress_path(job.output_path, state.process_index)
    with state.split_between_processes(pending) as own_chunks:
        finished = match_share(
            job,
            matcher,
            list(own_chunks),
            progress.chunk_size,
            header,
            own_file,
            progress.valid_bytes.get(own_file),
            arguments.progress and state.is_main_process,
        )
    logger.info("Process %d matched %d chunks", state.process_index, len(finished))

    # 6. Gather every process's chunks on all processes.
    gathered = gather_object(finished)

    # 7. The main process merges them with the resumed chunks, writes the output in input
    #    order and removes the progress files.
    if state.is_main_process:
        chunks = dict(progress.chunks)
        for chunk, rows in gathered:
            chunks[chunk] = [RowResult(**row) for row in rows]
        summary = job.finish(
            chunks,
            resumed=progress.rows,
            seconds=time.monotonic() - started,
            default_threshold=matcher.config.threshold_source == "default",
        )
        print(f"共 {state.num_processes} 个进程。")
        print(format_summary(summary))

    # 8. Leave the process group, so that the processes exit cleanly.
    state.destroy_process_group()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        sys.exit(main(parse_arguments()))
    except GreenmatchError as error:
        # Every process raises the same error, because all run the same checks on the same
        # files, so the main process alone prints it.
        state = PartialState()
        if state.is_main_process:
            print(f"错误：{error}", file=sys.stderr)
        state.destroy_process_group()
        sys.exit(2)
