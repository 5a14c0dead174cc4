"""The dataset files: 🤗 datasets and TRL's SFT trainer read them as they are; provenance survives."""

from __future__ import annotations

from pathlib import Path

from wildlong.synth.dataset import build_records, write_dataset
from wildlong.synth.generate import Sample
from wildlong.synth.records import Document, Instruction

META = {"token_model": "gpt-4o", "length_buckets": [1000, 4000], "generate_model": "m", "seed": 3}


def _records() -> list[dict[str, object]]:
    docs = {
        f"d{i}": Document(
            doc_id=f"d{i}", text=f"Document {i} says the budget grew by {i} percent.", source="t", tokens=12
        )
        for i in range(3)
    }
    insts, samples = {}, []
    for i in range(4):
        insts[f"i{i}"] = Instruction(
            instruction_id=f"i{i}",
            walk_id=f"w{i}",
            doc_type="report",
            node_ids=[f"k{i}", "k9"],
            fields=["task_type", "domain"],
            values=["summarize", "finance"],
            strategy="weighted",
            text=f"Summarize {i}",
            prompt="instruct",
            prompt_version="abc",
            model="m",
        )
        ids = ["d0", "d1"] if i % 2 else [f"d{i % 3}"]
        samples.append(
            Sample(
                sample_id=f"s{i}",
                pair_id=f"p{i}",
                instruction_id=f"i{i}",
                original_instruction=f"Summarize {i}",
                instruction=f"Summarize what document {i} says.",
                answer=f"It says the budget grew by {i} percent.",
                document_ids=ids,
                multi_document=len(ids) > 1,
                mode="direct",
                chunks=1,
                grounding=1.0,
                prompts={"rewrite": "r1", "answer": "a1", "map_notes": "m1", "reduce_answer": "d1"},
            )
        )
    return build_records(samples, insts, docs, {"k0": ["q1"], "k9": ["q2", "q3"]}, META)


def test_records_carry_messages_and_provenance(tmp_path: Path) -> None:
    records = _records()
    assert [m["role"] for m in records[1]["messages"]] == ["user", "assistant"]  # type: ignore[index]
    user = records[1]["messages"][0]["content"]  # type: ignore[index]
    assert "=== Document 1 of 2 (id: d0) ===" in user and user.endswith("Summarize what document 1 says.")
    p = records[0]["provenance"]
    assert p["query_ids"] == ["q1", "q2", "q3"] and p["document_ids"] == ["d0"] and p["seed"] == 3  # type: ignore[index]
    assert p["prompts"] == {
        "instruct": "abc",
        "rewrite": "r1",
        "answer": "a1",
        "map_notes": "m1",  # type: ignore[index]
        "reduce_answer": "d1",
    }
    paths = write_dataset(records, tmp_path)
    import datasets

    for kind, path in (("json", paths["jsonl"]), ("parquet", paths["parquet"])):
        loaded = datasets.load_dataset(kind, data_files=str(path), split="train")
        assert loaded.num_rows == 4
        assert loaded[1]["provenance"]["document_ids"] == ["d0", "d1"]
        assert loaded[3]["messages"][1]["content"] == "It says the budget grew by 3 percent."


def test_trl_sft_trainer_takes_the_file_as_it_is(tmp_path: Path) -> None:
    import datasets
    import trl  # the dev extra installs it: this is the check that TRL takes our files

    from wildlong.train.config import TinyModel
    from wildlong.train.tiny import byte_tokenizer, tiny_llama

    paths = write_dataset(_records(), tmp_path / "data")
    train = datasets.load_dataset("json", data_files=str(paths["jsonl"]), split="train")
    tokenizer = byte_tokenizer()
    model = tiny_llama(tokenizer, TinyModel())
    args = trl.SFTConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=2,
        per_device_train_batch_size=2,
        report_to=[],
        use_cpu=True,
        logging_steps=1,
        save_strategy="no",
        assistant_only_loss=False,
        max_length=512,
    )
    from accelerate.state import AcceleratorState

    try:
        trainer = trl.SFTTrainer(model=model, args=args, train_dataset=train, processing_class=tokenizer)
        result = trainer.train()
    finally:  # the Trainer sets process-wide accelerate state; later tests build their own Accelerator
        AcceleratorState._reset_state(reset_partial_state=True)
    assert result.global_step == 2 and result.training_loss > 0
