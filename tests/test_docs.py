"""The figures quoted in README.md and experiments/README.md are generated
from the results files that produced them (`python -m experiments.docs`)."""

from experiments import docs


def test_generated_blocks_equal_their_results_files():
    assert docs.stale_documents() == []


def test_a_changed_figure_makes_its_block_stale():
    text = (
        "intro\n<!-- BEGIN GENERATED: presets (python -m experiments.docs) -->\nold\n<!-- END GENERATED: presets -->\n"
    )
    updated = docs.update(text)
    assert "old" not in updated and "| `small` | 0.125 | 128 |" in updated
    assert docs.update(updated) == updated
