"""Templates: the original text form, the JSON form, every validation error, the target lists."""

from __future__ import annotations

import json

import pytest

from hanami_rt.core.errors import TemplateError
from hanami_rt.core.grid import forward_distances
from hanami_rt.core.template import Brick, NetworkSettings, Template

# The example of ALGORITHM.md, verbatim.
EXAMPLE = """\
version: 1
settings:
    neuron_cooldown: 100000000000.0
    refractory_time: 1
    max_connection_distance: 1
    enable_reduction: false
bricks:
    1,1,1
        input: test_input
        number_of_neurons: 784
    2,1,1
        number_of_neurons: 400
    3,1,1
        output: test_output
        number_of_neurons: 10
"""

EXAMPLE_JSON = """
{
  "version": 1,
  "settings": {
    "neuron_cooldown": 1e11,
    "refractory_time": 1,
    "max_connection_distance": 1,
    "enable_reduction": false
  },
  "bricks": [
    {"position": [1, 1, 1], "input": "test_input", "number_of_neurons": 784},
    {"position": [2, 1, 1], "number_of_neurons": 400},
    {"position": [3, 1, 1], "output": "test_output", "number_of_neurons": 10}
  ]
}
"""

# Two inputs, three hidden bricks and three outputs on the layers z = 1, 2, 3.
MULTI = """\
version: 1
bricks:
    1,1,1
        input: in_a
        number_of_neurons: 8
    1,1,2
        input: in_b
        number_of_neurons: 8
    2,1,1
        number_of_neurons: 6
    2,1,2
        number_of_neurons: 6
    2,1,3
        number_of_neurons: 6
    3,1,1
        output: out_a
        number_of_neurons: 2
    3,1,2
        output: out_b
        number_of_neurons: 2
    3,1,3
        output: out_c
        number_of_neurons: 2
"""


def chain(length: int, max_distance: int) -> str:
    """Input, length-2 hidden bricks and an output in a row along +x."""
    lines = ["version: 1", "settings:", f"    max_connection_distance: {max_distance}", "bricks:"]
    for x in range(1, length + 1):
        lines.append(f"    {x},1,1")
        if x == 1:
            lines.append("        input: in")
        elif x == length:
            lines.append("        output: out")
        lines.append("        number_of_neurons: 3")
    return "\n".join(lines) + "\n"


def by_position(
    template: Template,
) -> dict[tuple[int, int, int], dict[tuple[int, int, int], float]]:
    """Target lists keyed by brick position, easier to read than indices."""
    return {
        brick.position: {template.bricks[t].position: p for t, p in targets}
        for brick, targets in zip(template.bricks, template.targets, strict=True)
    }


def marked_line(text: str) -> int:
    """The 1-based line that carries the `# <-` marker (comments are ignored by the parser)."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if "# <-" in line)


def error_of(text: str) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        Template.parse(text)
    return caught.value


# ---- the text form --------------------------------------------------------------------------


def test_algorithm_md_example_parses_to_its_bricks_and_settings() -> None:
    template = Template.parse(EXAMPLE)
    assert template.settings == NetworkSettings(
        neuron_cooldown=1e11, refractory_time=1, max_connection_distance=1, enable_reduction=False
    )
    assert template.bricks == (
        Brick((1, 1, 1), 784, input="test_input"),
        Brick((2, 1, 1), 400),
        Brick((3, 1, 1), 10, output="test_output"),
    )
    assert [b.kind for b in template.bricks] == ["input", "hidden", "output"]
    assert [b.line for b in template.bricks] == [8, 11, 13]
    assert template.targets == (((1, 1.0),), ((2, 1.0),), ())


def test_settings_default_when_absent() -> None:
    text = EXAMPLE.split("bricks:")[1]
    template = Template.parse("version: 1\nbricks:" + text)
    assert template.settings == NetworkSettings()
    assert template.settings.neuron_cooldown == 1e9
    assert template.settings.refractory_time == 1
    assert template.settings.max_connection_distance == 1
    assert template.settings.enable_reduction is False


def test_empty_settings_block_and_partial_settings_keep_defaults() -> None:
    bricks = "bricks:" + EXAMPLE.split("bricks:")[1]
    assert Template.parse("version: 1\nsettings:\n" + bricks).settings == NetworkSettings()
    partial = Template.parse("version: 1\nsettings:\n    enable_reduction: true\n" + bricks)
    assert partial.settings == NetworkSettings(enable_reduction=True)


def test_comments_blank_lines_and_crlf_are_ignored() -> None:
    commented = """\
# a template with comments

version: 1   # the only version
settings:
    # nothing carries over
    neuron_cooldown: 100000000000.0

    refractory_time: 1
    max_connection_distance: 1  # neighbours only
    enable_reduction: false
bricks:
    # the input
    1,1,1   # first brick
        input: test_input   # named
        number_of_neurons: 784

    2,1,1
            # a comment indented deeper than the keys
        number_of_neurons: 400
    3,1,1
        output: test_output
        number_of_neurons: 10
# trailing comment
"""
    template = Template.parse(commented)
    assert template == Template.parse(EXAMPLE)
    assert [b.line for b in template.bricks] == [13, 17, 20]
    assert Template.parse(EXAMPLE.replace("\n", "\r\n")) == Template.parse(EXAMPLE)


def test_brick_keys_in_any_order_and_any_deeper_indent() -> None:
    text = """\
version: 1
bricks:
  1,1,1
     number_of_neurons: 784
     input: test_input
  2,1,1
     number_of_neurons: 400
  3,1,1
     number_of_neurons: 10
     output: test_output
settings:
  neuron_cooldown: 1e11
"""
    assert Template.parse(text) == Template.parse(EXAMPLE)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("refractory_time", 1000),
        ("max_connection_distance", 16),
        ("neuron_cooldown", 1.0),
        ("neuron_cooldown", 1e30),
    ],
)
def test_setting_range_boundaries_are_accepted(setting: str, value: float) -> None:
    bricks = "bricks:" + EXAMPLE.split("bricks:")[1]
    text = f"version: 1\nsettings:\n    {setting}: {value}\n" + bricks
    assert getattr(Template.parse(text).settings, setting) == value


@pytest.mark.parametrize("count", [1, 1_000_000])
def test_neuron_count_boundaries_are_accepted(count: int) -> None:
    text = EXAMPLE.replace("number_of_neurons: 400", f"number_of_neurons: {count}")
    assert Template.parse(text).bricks[1].number_of_neurons == count


def test_a_later_setting_line_wins() -> None:
    text = EXAMPLE.replace(
        "    refractory_time: 1\n", "    refractory_time: 1\n    refractory_time: 7\n"
    )
    assert Template.parse(text).settings.refractory_time == 7


# ---- the JSON form --------------------------------------------------------------------------


def test_json_form_equals_the_text_form() -> None:
    assert Template.parse(EXAMPLE_JSON) == Template.parse(EXAMPLE)
    assert Template.from_dict(json.loads(EXAMPLE_JSON)) == Template.parse(EXAMPLE)


def test_json_bricks_carry_no_line() -> None:
    from_json = Template.parse(EXAMPLE_JSON)
    assert all(b.line is None for b in from_json.bricks)
    assert all(b.line is not None for b in Template.parse(EXAMPLE).bricks)


def test_to_dict_is_the_json_form() -> None:
    assert Template.parse(EXAMPLE).to_dict() == {
        "version": 1,
        "settings": {
            "neuron_cooldown": 1e11,
            "refractory_time": 1,
            "max_connection_distance": 1,
            "enable_reduction": False,
        },
        "bricks": [
            {"position": [1, 1, 1], "number_of_neurons": 784, "input": "test_input"},
            {"position": [2, 1, 1], "number_of_neurons": 400},
            {"position": [3, 1, 1], "number_of_neurons": 10, "output": "test_output"},
        ],
    }


@pytest.mark.parametrize("text", [EXAMPLE, MULTI, chain(5, 3)], ids=["example", "multi", "chain"])
def test_round_trips(text: str) -> None:
    template = Template.parse(text)
    assert Template.from_dict(template.to_dict()) == template
    assert Template.parse(template.to_json()) == template
    assert json.loads(template.to_json()) == template.to_dict()
    assert (
        Template.from_dict(json.loads(json.dumps(template.to_dict()))).targets == template.targets
    )


def test_json_without_settings_uses_defaults() -> None:
    document = json.loads(EXAMPLE_JSON)
    del document["settings"]
    assert Template.from_dict(document).settings == NetworkSettings()


# ---- errors of the text form: line and reason -------------------------------------------------

SMALL = """\
version: 1
settings:
    max_connection_distance: 1
bricks:
    1,1,1
        input: a
        number_of_neurons: 4
    2,1,1
        number_of_neurons: 3
    3,1,1
        output: b
        number_of_neurons: 2
"""


def with_line(old: str, new: str) -> str:
    """SMALL with the first `old` replaced by `new` (which carries the `# <-` marker)."""
    assert old in SMALL
    return SMALL.replace(old, new, 1)


TEXT_ERRORS = {
    "unknown top-level key": (
        SMALL + "colour: red  # <-\n",
        ["unknown key", "colour"],
    ),
    "unknown setting": (
        with_line("settings:\n", "settings:\n    learning_rate: 0.1  # <-\n"),
        ["unknown setting", "learning_rate"],
    ),
    "unknown brick key": (
        with_line("        input: a\n", "        input: a\n        colour: red  # <-\n"),
        ["unknown brick key", "colour"],
    ),
    "brick key twice": (
        with_line(
            "        number_of_neurons: 3\n",
            "        number_of_neurons: 3\n        number_of_neurons: 3  # <-\n",
        ),
        ["number_of_neurons", "twice"],
    ),
    "duplicate position": (
        with_line("    3,1,1\n", "    2,1,1  # <-\n"),
        ["duplicate position", "2,1,1", "line 8"],
    ),
    "brick adjacent to no other": (
        SMALL + "    9,9,9  # <-\n        number_of_neurons: 1\n",
        ["9,9,9", "not adjacent"],
    ),
    "output not reachable": (
        # in -> out_1; a hidden brick behind out_1 feeds out_2, which no input reaches.
        """\
version: 1
bricks:
    1,1,1
        input: a
        number_of_neurons: 4
    2,1,1
        output: b
        number_of_neurons: 2
    3,1,1
        number_of_neurons: 3
    4,1,1  # <-
        output: c
        number_of_neurons: 2
""",
        ["'c'", "not reachable"],
    ),
    "dead end: hidden brick listed after its only forward neighbour": (
        """\
version: 1
bricks:
    1,1,1
        input: a
        number_of_neurons: 4
    3,1,1
        output: b
        number_of_neurons: 2
    2,1,1  # <-
        number_of_neurons: 3
""",
        ["2,1,1", "dead end"],
    ),
    "dead end: input whose only neighbour is behind it": (
        """\
version: 1
bricks:
    1,1,1  # <-
        input: a
        number_of_neurons: 4
    0,1,1
        output: b
        number_of_neurons: 2
""",
        ["1,1,1", "dead end"],
    ),
    "dead end: output out of reach of max_connection_distance": (
        """\
version: 1
settings:
    max_connection_distance: 2
bricks:
    1,1,1
        input: a
        number_of_neurons: 4
    2,1,1  # <-
        number_of_neurons: 3
    0,1,1
        output: b
        number_of_neurons: 2
""",
        ["2,1,1", "dead end", "max_connection_distance=2"],
    ),
    "number_of_neurons 0": (
        with_line("number_of_neurons: 3\n", "number_of_neurons: 0  # <-\n"),
        ["number_of_neurons", "[1, 1000000]"],
    ),
    "number_of_neurons negative": (
        with_line("number_of_neurons: 3\n", "number_of_neurons: -5  # <-\n"),
        ["number_of_neurons", "-5"],
    ),
    "number_of_neurons too big": (
        with_line("number_of_neurons: 3\n", "number_of_neurons: 1000001  # <-\n"),
        ["number_of_neurons", "1000001"],
    ),
    "refractory_time 0": (
        with_line("settings:\n", "settings:\n    refractory_time: 0  # <-\n"),
        ["refractory_time", "[1, 1000]"],
    ),
    "refractory_time too big": (
        with_line("settings:\n", "settings:\n    refractory_time: 1001  # <-\n"),
        ["refractory_time"],
    ),
    "max_connection_distance 0": (
        with_line("max_connection_distance: 1", "max_connection_distance: 0  # <-"),
        ["max_connection_distance", "[1, 16]"],
    ),
    "max_connection_distance too big": (
        with_line("max_connection_distance: 1", "max_connection_distance: 17  # <-"),
        ["max_connection_distance"],
    ),
    "neuron_cooldown below 1": (
        with_line("settings:\n", "settings:\n    neuron_cooldown: 0.5  # <-\n"),
        ["neuron_cooldown", "[1, 1e30]"],
    ),
    "neuron_cooldown 0": (
        with_line("settings:\n", "settings:\n    neuron_cooldown: 0  # <-\n"),
        ["neuron_cooldown"],
    ),
    "neuron_cooldown inf": (
        with_line("settings:\n", "settings:\n    neuron_cooldown: inf  # <-\n"),
        ["neuron_cooldown", "finite"],
    ),
    "neuron_cooldown nan": (
        with_line("settings:\n", "settings:\n    neuron_cooldown: nan  # <-\n"),
        ["neuron_cooldown", "finite"],
    ),
    "neuron_cooldown above 1e30": (
        with_line("settings:\n", "settings:\n    neuron_cooldown: 1e31  # <-\n"),
        ["neuron_cooldown"],
    ),
    "number_of_neurons a float": (
        with_line("number_of_neurons: 3\n", "number_of_neurons: 3.5  # <-\n"),
        ["number_of_neurons", "integer"],
    ),
    "number_of_neurons a word": (
        with_line("number_of_neurons: 3\n", "number_of_neurons: many  # <-\n"),
        ["number_of_neurons", "'many'"],
    ),
    "number_of_neurons a bool": (
        with_line("number_of_neurons: 3\n", "number_of_neurons: true  # <-\n"),
        ["number_of_neurons", "True"],
    ),
    "number_of_neurons without value": (
        with_line("number_of_neurons: 3\n", "number_of_neurons:  # <-\n"),
        ["missing value"],
    ),
    "refractory_time a float": (
        with_line("settings:\n", "settings:\n    refractory_time: 1.5  # <-\n"),
        ["refractory_time", "integer"],
    ),
    "max_connection_distance a word": (
        with_line("max_connection_distance: 1", "max_connection_distance: two  # <-"),
        ["max_connection_distance", "integer"],
    ),
    "enable_reduction a number": (
        with_line("settings:\n", "settings:\n    enable_reduction: 1  # <-\n"),
        ["enable_reduction", "true or false"],
    ),
    "enable_reduction yes": (
        with_line("settings:\n", "settings:\n    enable_reduction: yes  # <-\n"),
        ["enable_reduction", "true or false"],
    ),
    "neuron_cooldown a word": (
        with_line("settings:\n", "settings:\n    neuron_cooldown: slow  # <-\n"),
        ["neuron_cooldown", "number"],
    ),
    "input name with a bang": (
        with_line("input: a\n", "input: a!  # <-\n"),
        ["input name"],
    ),
    "input name with a space": (
        with_line("input: a\n", "input: a b  # <-\n"),
        ["input name", "'a b'"],
    ),
    "output name too long": (
        with_line("output: b\n", "output: " + "b" * 65 + "  # <-\n"),
        ["output name", "1-64"],
    ),
    "missing number_of_neurons": (
        with_line("    2,1,1\n        number_of_neurons: 3\n", "    2,1,1  # <-\n"),
        ["no number_of_neurons"],
    ),
    "input and output on one brick": (
        with_line("        input: a\n", "        input: a\n        output: c  # <-\n"),
        ["input or an output, not both"],
    ),
    "two inputs with one name": (
        with_line(
            "    2,1,1\n        number_of_neurons: 3\n",
            "    1,1,2  # <-\n        input: a\n        number_of_neurons: 3\n"
            "    2,1,1\n        number_of_neurons: 3\n",
        ),
        ["'a'", "two bricks"],
    ),
    "input and output with one name": (
        with_line("output: b\n", "output: a\n").replace("    3,1,1\n", "    3,1,1  # <-\n"),
        ["'a'", "two bricks"],
    ),
    "position with two numbers": (
        with_line("    2,1,1\n", "    2,1  # <-\n"),
        ["position", "'2,1'"],
    ),
    "position with four numbers": (
        with_line("    2,1,1\n", "    2,1,1,1  # <-\n"),
        ["position", "x,y,z"],
    ),
    "position with a word": (
        with_line("    2,1,1\n", "    two,1,1  # <-\n"),
        ["position", "'two,1,1'"],
    ),
    "position with a float": (
        with_line("    2,1,1\n", "    2.5,1,1  # <-\n"),
        ["position"],
    ),
    "position with an empty coordinate": (
        with_line("    2,1,1\n", "    2,,1  # <-\n"),
        ["position"],
    ),
    "position out of range": (
        with_line("    2,1,1\n", "    10001,1,1  # <-\n"),
        ["position", "10000"],
    ),
    "brick key at the position's indent": (
        with_line(
            "        number_of_neurons: 3\n",
            "        number_of_neurons: 3\n    colour: red  # <-\n",
        ),
        ["position", "'colour: red'"],
    ),
    "missing version": (
        SMALL.replace("version: 1\nsettings:\n", "settings:  # <-\n"),
        ["missing", "version"],
    ),
    "version 2": (
        SMALL.replace("version: 1\n", "version: 2  # <-\n"),
        ["unsupported version 2"],
    ),
    "version a word": (
        SMALL.replace("version: 1\n", "version: one  # <-\n"),
        ["unsupported version", "'one'"],
    ),
    "version true": (
        SMALL.replace("version: 1\n", "version: true  # <-\n"),
        ["unsupported version", "True"],
    ),
    "settings with a value": (
        SMALL.replace("settings:\n", "settings: fast  # <-\n"),
        ["'settings:'", "indented block"],
    ),
    "line without a colon": (
        with_line("settings:\n", "settings:\n    refractory_time 3  # <-\n"),
        ["key: value", "refractory_time 3"],
    ),
    "indented line before any block": (
        SMALL.replace("version: 1\n", "version: 1\n    refractory_time: 3  # <-\n"),
        ["indented line outside"],
    ),
    "tab indenting a brick": (
        with_line("    2,1,1\n", "\t2,1,1  # <-\n"),
        ["tabs"],
    ),
    "tab after spaces indenting a brick key": (
        with_line("        number_of_neurons: 3\n", "    \tnumber_of_neurons: 3  # <-\n"),
        ["tabs"],
    ),
    "tab indenting a setting": (
        with_line("    max_connection_distance: 1", "\tmax_connection_distance: 1  # <-"),
        ["tabs"],
    ),
}


@pytest.mark.parametrize(("text", "words"), TEXT_ERRORS.values(), ids=TEXT_ERRORS.keys())
def test_text_error_names_line_and_problem(text: str, words: list[str]) -> None:
    error = error_of(text)
    assert error.line == marked_line(text), error
    for word in words:
        assert word in error.reason, (word, error.reason)
    assert str(error).startswith(f"line {error.line}: ")


NO_INPUT_OR_OUTPUT = {
    "no input brick": (SMALL.replace("        input: a\n", ""), "no input brick"),
    "no output brick": (SMALL.replace("        output: b\n", ""), "no output brick"),
    "no bricks": ("version: 1\nbricks:\n", "no bricks"),
}


@pytest.mark.parametrize(
    ("text", "words"), NO_INPUT_OR_OUTPUT.values(), ids=NO_INPUT_OR_OUTPUT.keys()
)
def test_missing_input_or_output_is_named(text: str, words: str) -> None:
    assert words in error_of(text).reason


@pytest.mark.parametrize(
    ("text", "words"), NO_INPUT_OR_OUTPUT.values(), ids=NO_INPUT_OR_OUTPUT.keys()
)
def test_missing_input_or_output_names_a_line(text: str, words: str) -> None:
    line = error_of(text).line
    assert line is not None and 1 <= line <= len(text.splitlines())


@pytest.mark.parametrize("form", ["text", "json"])
def test_huge_integer_cooldown_is_a_template_error(form: str) -> None:
    huge = "1" + "0" * 400
    if form == "text":
        text = SMALL.replace("settings:\n", f"settings:\n    neuron_cooldown: {huge}  # <-\n")
        assert error_of(text).line == marked_line(text)
    else:
        document = Template.parse(SMALL).to_dict()
        document["settings"]["neuron_cooldown"] = int(huge)
        with pytest.raises(TemplateError, match="neuron_cooldown"):
            Template.from_dict(document)


# ---- errors of the JSON form ----------------------------------------------------------------


def test_bad_json_names_the_json_line() -> None:
    text = '{\n  "version": 1,\n  "bricks": [\n    {"position": [1, 1, 1],, }\n  ]\n}\n'
    error = error_of(text)
    assert error.line == 4
    assert "invalid JSON" in error.reason


def test_truncated_json_is_a_template_error() -> None:
    assert "invalid JSON" in error_of("  {").reason


def test_deeply_nested_json_is_a_template_error() -> None:
    error_of('{"version": 1, "bricks": ' + "[" * 100_000)


def example_dict() -> dict:
    return json.loads(EXAMPLE_JSON)


def json_case(change) -> dict:
    document = example_dict()
    change(document)
    return document


JSON_ERRORS = {
    "not an object": ([1, 2], ["must be an object"]),
    "unknown top-level key": (
        json_case(lambda d: d.update(colour="red")),
        ["unknown key", "'colour'"],
    ),
    "missing version": (json_case(lambda d: d.pop("version")), ["version"]),
    "version 2": (json_case(lambda d: d.update(version=2)), ["unsupported version 2"]),
    "version a string": (json_case(lambda d: d.update(version="1")), ["unsupported version"]),
    "settings a list": (json_case(lambda d: d.update(settings=[])), ["settings must be"]),
    "unknown setting": (
        json_case(lambda d: d["settings"].update(learning_rate=0.1)),
        ["unknown setting", "'learning_rate'"],
    ),
    "refractory_time a string": (
        json_case(lambda d: d["settings"].update(refractory_time="1")),
        ["refractory_time", "integer"],
    ),
    "refractory_time 0": (
        json_case(lambda d: d["settings"].update(refractory_time=0)),
        ["refractory_time", "[1, 1000]"],
    ),
    "max_connection_distance a bool": (
        json_case(lambda d: d["settings"].update(max_connection_distance=True)),
        ["max_connection_distance", "integer"],
    ),
    "neuron_cooldown a string": (
        json_case(lambda d: d["settings"].update(neuron_cooldown="1e9")),
        ["neuron_cooldown", "number"],
    ),
    "neuron_cooldown below 1": (
        json_case(lambda d: d["settings"].update(neuron_cooldown=0.25)),
        ["neuron_cooldown"],
    ),
    "enable_reduction a string": (
        json_case(lambda d: d["settings"].update(enable_reduction="false")),
        ["enable_reduction"],
    ),
    "bricks missing": (json_case(lambda d: d.pop("bricks")), ["bricks must be a list"]),
    "bricks an object": (json_case(lambda d: d.update(bricks={})), ["bricks must be a list"]),
    "brick not an object": (
        json_case(lambda d: d["bricks"].__setitem__(1, "2,1,1")),
        ["bricks[1]", "object"],
    ),
    "unknown brick key": (
        json_case(lambda d: d["bricks"][1].update(colour="red")),
        ["bricks[1]", "unknown key", "'colour'"],
    ),
    "missing number_of_neurons": (
        json_case(lambda d: d["bricks"][1].pop("number_of_neurons")),
        ["bricks[1]", "no number_of_neurons"],
    ),
    "number_of_neurons a string": (
        json_case(lambda d: d["bricks"][1].update(number_of_neurons="400")),
        ["bricks[1]", "number_of_neurons"],
    ),
    "number_of_neurons a float": (
        json_case(lambda d: d["bricks"][1].update(number_of_neurons=400.0)),
        ["bricks[1]", "number_of_neurons"],
    ),
    "number_of_neurons 0": (
        json_case(lambda d: d["bricks"][1].update(number_of_neurons=0)),
        ["bricks[1]", "number_of_neurons"],
    ),
    "position a string": (
        json_case(lambda d: d["bricks"][1].update(position="2,1,1")),
        ["bricks[1]", "position"],
    ),
    "position of two numbers": (
        json_case(lambda d: d["bricks"][1].update(position=[2, 1])),
        ["bricks[1]", "position"],
    ),
    "position with a float": (
        json_case(lambda d: d["bricks"][1].update(position=[2, 1, 1.0])),
        ["bricks[1]", "position"],
    ),
    "position missing": (
        json_case(lambda d: d["bricks"][1].pop("position")),
        ["bricks[1]", "position"],
    ),
    "input a number": (
        json_case(lambda d: d["bricks"][0].update(input=5)),
        ["bricks[0]", "input name"],
    ),
    "input and output": (
        json_case(lambda d: d["bricks"][0].update(output="x")),
        ["bricks[0]", "not both"],
    ),
    "duplicate position": (
        json_case(lambda d: d["bricks"][2].update(position=[2, 1, 1])),
        ["duplicate position", "2,1,1"],
    ),
    "not adjacent": (
        json_case(lambda d: d["bricks"][2].update(position=[9, 9, 9])),
        ["9,9,9", "not adjacent"],
    ),
    "dead end": (
        json_case(lambda d: d["bricks"].insert(2, d["bricks"].pop(1))),
        ["2,1,1", "dead end"],
    ),
    "no input": (
        json_case(lambda d: d["bricks"][0].pop("input")),
        ["no input brick"],
    ),
}


@pytest.mark.parametrize(("document", "words"), JSON_ERRORS.values(), ids=JSON_ERRORS.keys())
def test_json_error_names_the_problem(document: object, words: list[str]) -> None:
    with pytest.raises(TemplateError) as caught:
        Template.from_dict(document)
    for word in words:
        assert word in caught.value.reason, (word, caught.value.reason)
    if isinstance(document, dict):
        # The same document as JSON text gives the same error.
        assert error_of(json.dumps(document, indent=2)).reason == caught.value.reason


# ---- targets --------------------------------------------------------------------------------

VALID = {
    "example": EXAMPLE,
    "multi": MULTI,
    "multi distance 2": MULTI.replace(
        "version: 1\n", "version: 1\nsettings:\n    max_connection_distance: 2\n"
    ),
    "chain distance 3": chain(6, 3),
}


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_targets_are_later_non_input_bricks_with_probabilities_summing_to_one(text: str) -> None:
    template = Template.parse(text)
    for index, (brick, targets) in enumerate(zip(template.bricks, template.targets, strict=True)):
        if brick.output:
            assert targets == ()
            continue
        assert targets, brick
        assert all(target > index for target, _ in targets)
        assert all(template.bricks[target].input is None for target, _ in targets)
        assert all(p > 0 for _, p in targets)
        assert sum(p for _, p in targets) == pytest.approx(1.0)


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_targets_are_exactly_the_later_non_input_bricks_within_reach(text: str) -> None:
    template = Template.parse(text)
    distance = template.settings.max_connection_distance
    for index, brick in enumerate(template.bricks):
        if brick.output:
            continue
        reach = forward_distances(brick.position, distance)
        expected = [
            later
            for later in range(index + 1, len(template.bricks))
            if template.bricks[later].input is None and template.bricks[later].position in reach
        ]
        assert [t for t, _ in template.targets[index]] == expected


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_nearer_targets_are_strictly_likelier(text: str) -> None:
    template = Template.parse(text)
    distance = template.settings.max_connection_distance
    for brick, targets in zip(template.bricks, template.targets, strict=True):
        reach = forward_distances(brick.position, distance)
        for a, pa in targets:
            for b, pb in targets:
                da = reach[template.bricks[a].position]
                db = reach[template.bricks[b].position]
                if da < db:
                    assert pa > pb
                elif da == db:
                    assert pa == pytest.approx(pb)


def test_chain_with_distance_two_prefers_the_next_brick() -> None:
    targets = by_position(Template.parse(chain(4, 2)))
    assert targets[(1, 1, 1)] == pytest.approx({(2, 1, 1): 2 / 3, (3, 1, 1): 1 / 3})
    assert targets[(2, 1, 1)] == pytest.approx({(3, 1, 1): 2 / 3, (4, 1, 1): 1 / 3})
    assert targets[(3, 1, 1)] == {(4, 1, 1): 1.0}
    assert targets[(4, 1, 1)] == {}


def test_chain_with_distance_three_halves_the_weight_per_step() -> None:
    targets = by_position(Template.parse(chain(5, 3)))
    assert targets[(1, 1, 1)] == pytest.approx(
        {(2, 1, 1): 4 / 7, (3, 1, 1): 2 / 7, (4, 1, 1): 1 / 7}
    )
    assert targets[(2, 1, 1)][(3, 1, 1)] > targets[(2, 1, 1)][(4, 1, 1)]
    assert targets[(2, 1, 1)][(4, 1, 1)] > targets[(2, 1, 1)][(5, 1, 1)]


def test_chain_with_distance_one_only_targets_neighbours() -> None:
    targets = by_position(Template.parse(chain(4, 1)))
    assert targets[(1, 1, 1)] == {(2, 1, 1): 1.0}
    assert targets[(2, 1, 1)] == {(3, 1, 1): 1.0}


def test_several_inputs_outputs_and_layers() -> None:
    template = Template.parse(MULTI)
    assert [b.input for b in template.bricks if b.input] == ["in_a", "in_b"]
    assert [b.output for b in template.bricks if b.output] == ["out_a", "out_b", "out_c"]
    assert {b.position[2] for b in template.bricks} == {1, 2, 3}
    assert by_position(template) == {
        # (1,1,2) is a forward side of in_a and later, but it is an input: never a target.
        (1, 1, 1): {(2, 1, 1): 1.0},
        (1, 1, 2): {(2, 1, 2): 1.0},
        (2, 1, 1): {(2, 1, 2): 0.5, (3, 1, 1): 0.5},
        (2, 1, 2): {(2, 1, 3): 0.5, (3, 1, 2): 0.5},
        (2, 1, 3): {(3, 1, 3): 1.0},
        (3, 1, 1): {},
        (3, 1, 2): {},
        (3, 1, 3): {},
    }


def test_several_layers_with_distance_two() -> None:
    template = Template.parse(VALID["multi distance 2"])
    targets = by_position(template)
    # in_a: (2,1,1) one step; (2,1,2) via (1,1,2) and (3,1,1) via (2,1,1) two steps.
    assert targets[(1, 1, 1)] == pytest.approx({(2, 1, 1): 0.5, (2, 1, 2): 0.25, (3, 1, 1): 0.25})
    assert all(p > 0 for p in targets[(2, 1, 3)].values())


def test_order_decides_direction() -> None:
    """The same cells listed in another order give other targets: only later bricks count."""
    forward = Template.parse(MULTI)
    swapped = Template.parse(
        MULTI.replace("    2,1,1\n", "    2,1,X\n")
        .replace("    2,1,2\n", "    2,1,1\n")
        .replace("    2,1,X\n", "    2,1,2\n")
    )
    assert by_position(forward)[(2, 1, 1)] == {(2, 1, 2): 0.5, (3, 1, 1): 0.5}
    assert by_position(swapped)[(2, 1, 1)] == {(3, 1, 1): 1.0}
    assert by_position(swapped)[(2, 1, 2)] == {(2, 1, 1): 1 / 3, (2, 1, 3): 1 / 3, (3, 1, 2): 1 / 3}


def test_a_template_cannot_ask_for_millions_of_neurons_in_all() -> None:
    """Each brick within its own limit, but together past what one request may allocate."""
    lines = ["version: 1", "bricks:"]
    for x in range(1, 6):
        lines += [f"    {x},1,1"]
        if x == 1:
            lines += ["        input: a"]
        if x == 5:
            lines += ["        output: b"]
        lines += ["        number_of_neurons: 1000000"]
    with pytest.raises(TemplateError, match="neurons in all") as caught:
        Template.parse("\n".join(lines) + "\n")
    assert caught.value.line == 12  # the fifth brick, which passes the limit
