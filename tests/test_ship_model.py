"""The model card's training section (`experiments.ship_model`): the cycles
that trained the weights, each started from the one before, followed back
through `init_from` to the first."""

import json
import os
import shutil

import pytest

from colorize import runs, variants, weights
from experiments import refresh_hints, ship_model


def _cycle(path, init_from, epochs, lr, dataset="sketch_colorization/line_art", best=None):
    """A run folder with a config and a history of `epochs` epochs of 10 steps."""
    config = variants.BASE.replace(dataset=dataset, learning_rate=lr, init_from=init_from)
    runs.save_config(config, str(path))
    history = [{"epoch": e, "step": 10 * e, "val_loss": 3.0 - 0.1 * e} for e in range(1, epochs + 1)]
    runs.save_history(history, str(path))
    if best:  # a run's best/ folder: its config and the best epoch
        (path / "best").mkdir()
        runs.save_config(config, str(path / "best"))
        (path / "best" / "best.json").write_text(json.dumps({"epoch": best, "step": 10 * best}))
    return str(path)


def test_the_lineage_follows_init_from_back_to_the_first_cycle(tmp_path):
    first = _cycle(tmp_path / "first", "", 30, 1e-3)
    second = _cycle(tmp_path / "second", first, 8, 5e-5, best=5)
    both = "sketch_colorization/line_art+sketch_colorization/openclipart"
    last = _cycle(tmp_path / "last", f"{second}/best", 4, 5e-5, dataset=both)
    cycles = ship_model.lineage(last)
    assert [(c["epochs"], c["steps"], c["learning_rate"], c["dataset"]) for c in cycles] == [
        (30, 300, 1e-3, "sketch_colorization/line_art"),
        (5, 50, 5e-5, "sketch_colorization/line_art"),  # the best epoch of the second cycle, not its last
        (4, 40, 5e-5, both),
    ]
    card = {"training": ship_model.training_facts(last), "cycles": cycles, "precision": "mixed_bfloat16"}
    lines = ship_model._training_lines(card)
    assert lines[0].startswith("Trained in 3 cycles, each from the weights of the one before")
    table = "\n".join(lines)
    assert (
        "| 2 | `sketch_colorization/line_art` | 5e-05 | 5 | 50 | 0.0 | its best epoch (lowest validation loss) |"
        in table
    )
    assert f"| 3 | `{both}` | 5e-05 | 4 | 40 | 0.0 | its last epoch |" in table
    assert any(line.startswith("390 steps in all") for line in lines)
    # One cycle: the one line the card had before.
    alone = {"training": ship_model.training_facts(first), "cycles": ship_model.lineage(first), "precision": "x"}
    assert ship_model._training_lines(alone)[0].startswith("300 steps of batch 16 (30 epochs), 0.0 hours")


def test_a_runs_average_counts_up_to_its_last_epoch_and_is_named_as_a_mean(tmp_path):
    first = _cycle(tmp_path / "first", "", 30, 1e-3)
    last = _cycle(tmp_path / "last", first, 6, 5e-5)
    average = tmp_path / "last" / runs.AVERAGE
    average.mkdir()
    runs.save_config(runs.load_config(last), str(average))
    (average / runs.AVERAGE_EPOCHS).write_text(json.dumps({"epochs": [2, 3, 4]}))
    cycles = ship_model.lineage(str(average))
    assert [(c["epochs"], c["steps"], c["kept"]) for c in cycles] == [(30, 300, "last"), (4, 40, "mean of epochs 2-4")]
    facts = ship_model.training_facts(str(average))
    lines = ship_model._training_lines({"training": facts, "cycles": cycles, "precision": "x"})
    assert "| 2 | `sketch_colorization/line_art` | 5e-05 | 4 | 40 | 0.0 | mean of epochs 2-4 |" in "\n".join(lines)
    alone = {"training": facts, "cycles": cycles[1:], "precision": "x"}
    assert ship_model._training_lines(alone)[0].startswith("40 steps of batch 16 (4 epochs, the network mean of epochs")


def test_a_cycle_started_from_packed_weights_continues_their_cards_lineage(tmp_path):
    packed = tmp_path / "shipped"
    packed.mkdir()
    runs.save_config(variants.BASE, str(packed))
    (packed / runs.PACKED_WEIGHTS).write_bytes(b"")
    earlier = [{"run": "a", "steps": 300, "epochs": 30}, {"run": "b", "steps": 50, "epochs": 5}]
    (packed / ship_model.CARD_JSON).write_text(json.dumps({"cycles": earlier}))
    last = _cycle(tmp_path / "last", str(packed), 4, 5e-5)
    cycles = ship_model.lineage(last)
    assert [c["run"] for c in cycles] == ["a", "b", last]
    # Packed weights without a card: the chain ends there, as before.
    (packed / ship_model.CARD_JSON).unlink()
    assert [c["run"] for c in ship_model.lineage(last)] == [last]


def test_the_overlap_bar_shows_its_references_where_they_were_measured():
    figures = dict(
        white_kept=0.95,
        page_min=251.0,
        page_sketch=252.0,
        psnr=15.0,
        psnr_sketch=10.0,
        chroma_ratio=0.9,
        color_overlap=0.2,
        overlap_gray=0.05,
        overlap_other=0.06,
    )
    (row,) = [r for r in ship_model._bars(figures) if r[0] == "color-distribution overlap"]
    assert row[1] == "0.200 (a gray output 0.050, another image's colors 0.060)" and row[3] is False
    assert ship_model._overlap_scale(figures)
    (row,) = ship_model._source_rows({"noto": {"examples": 60, "metrics": figures}})
    assert row.endswith("| 0.200 (gray 0.050, other 0.060) |")
    # A card measured before the references: the figure alone, and no paragraph about them.
    older = {k: v for k, v in figures.items() if not k.startswith("overlap_")}
    (row,) = [r for r in ship_model._bars(older) if r[0] == "color-distribution overlap"]
    assert row[1] == "0.200" and ship_model._overlap_scale(older) == []


def test_vetting_a_folder_without_a_model_is_one_line(tmp_path, capsys):
    from experiments import vet_candidate  # noqa: PLC0415

    with pytest.raises(SystemExit) as exit_:
        vet_candidate.main([str(tmp_path), "--temperature", "0.7", "--paper-threshold", "0.25"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {tmp_path}") and "\n" not in err


def test_vetting_a_saved_model_asks_for_its_run(tmp_path, capsys):
    from experiments import vet_candidate  # noqa: PLC0415

    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(SystemExit) as exit_:
        vet_candidate.main([str(tmp_path), "--temperature", "0.7", "--paper-threshold", "0.25"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path}: a SavedModel; give the run (or packed weights) it was exported from"
    )


def test_the_card_records_runs_without_this_machines_folders():
    assert ship_model.portable("/work/runs/long-w05-r20/average") == "long-w05-r20/average"
    assert ship_model.portable("/work/runs/long-w05-r4/best/") == "long-w05-r4/best"
    assert ship_model.portable("/work/ship/r19e5") == "r19e5"
    assert ship_model.portable("") == ""


@pytest.mark.parametrize(
    "lam, spare, says, not_says",
    [
        (1.0, True, "no class rebalancing: lambda = 1.0 gives every class weight 1", "white spared"),
        (1.0, False, "no class rebalancing: lambda = 1.0 gives every class weight 1, so", "--spare-white"),
        (0.75, True, "class rebalancing with lambda = 0.75, white spared)", "no class rebalancing"),
        (0.5, False, "class rebalancing with lambda = 0.5)", "white spared"),
    ],
)
def test_the_card_says_lambda_1_is_no_rebalancing(lam, spare, says, not_says):
    with open(os.path.join(weights.SHIPPED, "model_card.json")) as f:
        card = json.load(f)
    card.update(rebalance_lambda=lam, spare_white=spare)
    (line,) = [x for x in ship_model.model_card(card).splitlines() if x.startswith("- Variant")]
    assert says in line and not_says not in line


def _curve(psnr10_fill, flood10):
    """A `hints_curve` result for one model at counts 0, 10 and 50."""

    def figures(v):
        return {"psnr": v}

    return {
        "counts": [0, 10, 50],
        "runs": {
            "m": {
                "psnr": [14.0, 16.0, 17.0],
                "metrics": [figures(14.0), figures(16.0), figures(17.0)],
                "fill_psnr": [15.0, psnr10_fill, 21.0],
                "fill_metrics": [figures(15.0), figures(psnr10_fill), figures(21.0)],
            }
        },
        "baselines": {"flood fill": {"psnr": [10.0, flood10, 19.0]}},
    }


def test_refreshing_the_hints_replaces_only_the_cards_hint_figures(tmp_path, monkeypatch, capsys):
    shutil.copy(os.path.join(weights.SHIPPED, "model_card.json"), tmp_path)
    (tmp_path / runs.PACKED_WEIGHTS).write_bytes(b"")  # only its presence is asked
    with open(tmp_path / "model_card.json") as f:
        before = json.load(f)
    seen = {}

    def measured(model_dir, out, max_examples, data_dir):
        seen.update(model=model_dir, examples=max_examples)
        return _curve(19.0, 17.5)

    monkeypatch.setattr(ship_model, "measure_curve", measured)
    assert refresh_hints.main([str(tmp_path), "--curve-out", str(tmp_path / "curve")]) == 0
    assert "10 hints as predict outputs 19.00 dB, flood fill 17.50 dB" in capsys.readouterr().out
    assert seen == {"model": str(tmp_path), "examples": before["test_examples"]}
    with open(tmp_path / "model_card.json") as f:
        after = json.load(f)
    assert after["test_hints10_fill"] == {"psnr": 19.0} and after["flood_fill"] == [10.0, 17.5, 19.0]
    assert after["counts"] == [0, 10, 50] and after["hints_measured"]
    changed = {k for k in before if before[k] != after.get(k)}
    # (`hints_measured`, the day they were measured, changes unless the card's were measured today.)
    assert changed <= {"test_hints10", "test_hints10_fill", "hints_curve", "flood_fill", "counts", "hints_measured"}
    md = (tmp_path / "MODEL_CARD.md").read_text()
    assert f"the hint figures measured again on {after['hints_measured']}" in md
    assert "the palette figures as shipped" in md
    assert "| 10 hints, as predict outputs, over the flood fill | 19.00 vs 17.50 dB | +1 dB: met |" in md


def test_refreshing_a_folder_without_a_card_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        refresh_hints.main([str(tmp_path)])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not a packed model with a card" in err and str(tmp_path) in err
    with pytest.raises(SystemExit):
        refresh_hints.main([str(tmp_path / "gone")])
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'gone'}: no such folder"
