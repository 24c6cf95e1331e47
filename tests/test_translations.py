"""Every student-facing word exists in Spanish, from one English source, and stays current."""

from __future__ import annotations

import ast
import gettext
import io

import nbformat
import pytest

from autograder import i18n, translations
from autograder.assignments import ASSIGNMENTS
from autograder.translations import Domain, Message, code_spans, translate_notebook
from cnnkit_student import i18n as student_i18n


def test_every_message_has_a_current_spanish_translation():
    problems = translations.all_problems()
    shown = "\n".join(problems[:25])
    assert not problems, (
        f"{len(problems)} missing, stale or unused translations (fix the catalogs, or run "
        f"`cnnkit translations --update` and translate what it adds):\n{shown}")


class FixedDomain(Domain):
    """A catalog whose sources say exactly ``MESSAGES``."""

    def messages(self):
        return MESSAGES, []


MESSAGES = [Message("kept", "a.py:1"), Message("new message", "a.py:2"),
            Message("changed {value} here", "a.py:3"), Message("fields {got}", "a.py:4")]

PO = """
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "kept"
msgstr "conservado"

#, fuzzy
#| msgid "changed {value}"
msgid "changed {value} here"
msgstr "cambiado {value}"

msgid "fields {got}"
msgstr "campos {obtenido}"

msgid "gone away"
msgstr "desaparecido"
"""


def test_the_check_reports_missing_stale_unused_and_mismatched_translations(tmp_path):
    domain = FixedDomain("demo", tmp_path)
    path = domain.po_path("es")
    path.parent.mkdir(parents=True)
    path.write_text(PO, encoding="utf-8")
    problems = "\n".join(translations.problems(domain, "es"))
    assert "no translation of 'new message'" in problems
    assert "'changed {value} here' is stale" in problems
    assert "has fields ['obtenido'], the English ['got']" in problems
    assert "'gone away' is translated but no longer used" in problems
    assert "'kept'" not in problems
    # and the update keeps what is still right, marks the changed one for the translator
    translations.update(domain, "es")
    updated = {m.id: m for m in translations.read_catalog(path) if m.id}
    assert updated["kept"].string == "conservado"
    assert updated["new message"].string == ""
    assert "gone away" not in updated


def test_messages_are_literals_so_that_a_catalog_can_find_them(tmp_path):
    source = tmp_path / "module.py"
    source.write_text('from autograder.i18n import _\nx = 3\nprint(_(f"got {x}"))\n'
                      'print(_("got {x}").format(x=x))\n', encoding="utf-8")
    messages, errors = translations.python_messages(source, relative_to=tmp_path)
    assert [m.id for m in messages] == ["got {x}"]
    assert errors == ["module.py:3: the message is not a string literal"]


def test_the_kits_sources_translate_only_literals():
    for domain in translations.domains()[:2]:
        _messages, errors = domain.messages()
        assert not errors, "\n".join(errors)


def test_public_rubric_lines_are_translated_once_for_student_and_grader():
    student = {m.id: m.string for m in translations.read_catalog(
        Domain(student_i18n.DOMAIN, student_i18n.LOCALE_DIR).po_path("es")) if m.id}
    grader = {m.id: m.string for m in translations.read_catalog(
        Domain(i18n.DOMAIN, i18n.LOCALE_DIR).po_path("es")) if m.id}
    twice = sorted(set(student) & set(grader))
    assert not twice, f"translated in both catalogs (keep them in the students' one): {twice[:5]}"


def test_the_grader_speaks_the_language_set_and_falls_back_on_the_students_catalog():
    rubric_line = next(m.id for m in translations.student_messages()[0]
                       if m.id.startswith("preprocess_images:"))
    with i18n.language("es"):
        spanish = i18n._(rubric_line)
        assert spanish != rubric_line and spanish.startswith("preprocess_images:")
        assert student_i18n._(rubric_line) == spanish
    with i18n.language("en"):
        assert i18n._(rubric_line) == rubric_line
    with pytest.raises(ValueError):
        i18n.set_language("fr")


def _code_without_prose(source: str) -> str:
    """A code cell with its translatable pieces blanked: what must not differ by language."""
    for span in reversed(code_spans(source)):
        source = source[:span.start] + f"<{span.kind}>" + source[span.end:]
    return source


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
@pytest.mark.parametrize("kind", ["solution", "release"])
def test_the_spanish_notebook_has_the_same_cells_code_and_points(assignment, kind):
    found = ASSIGNMENTS[assignment]
    paths = {lang: (found.solution_path_in(lang) if kind == "solution"
                    else found.release_path_in(lang)) for lang in i18n.LANGUAGES}
    english, spanish = (nbformat.read(paths[lang], as_version=4) for lang in ("en", "es"))
    assert spanish.metadata["cnnkit"]["lang"] == "es"
    assert spanish.metadata["cnnkit"]["assignment"] == english.metadata["cnnkit"]["assignment"]
    assert [c.get("id") for c in spanish.cells] == [c.get("id") for c in english.cells]
    assert [c.cell_type for c in spanish.cells] == [c.cell_type for c in english.cells]
    def roles(notebook):  # a locked cell's checksum covers its text, which is translated
        return [{k: v for k, v in c.metadata.get("nbgrader", {}).items() if k != "checksum"}
                for c in notebook.cells]

    assert roles(spanish) == roles(english), "points or cell roles differ"
    prose_cells = translated = 0
    for en_cell, es_cell in zip(english.cells, spanish.cells, strict=True):
        if en_cell.cell_type == "code":
            assert _code_without_prose(es_cell.source) == _code_without_prose(en_cell.source), (
                f"cell {en_cell.get('id')}: the code differs between the languages")
            compile(es_cell.source, f"<cell {es_cell.get('id')}>", "exec")
        if en_cell.cell_type == "markdown":
            prose_cells += 1
            translated += es_cell.source != en_cell.source
    assert translated == prose_cells, "every markdown cell has its Spanish"


def test_translating_a_cell_rewrites_its_comments_docstrings_and_shown_words_only():
    source = ('def f(x):\n    """Add one.\n\n    Returns\n    -------\n    int\n    """\n'
              '    # the next value\n    # of x\n    return x + 1  # one more\n\n'
              'print(f"value {f(1)}")\nprint("ab" "cd")\n')
    catalog = {"Add one.\n\nReturns\n-------\nint": "Suma uno.\n\nReturns\n-------\nint",
               "the next value\nof x": "el valor siguiente de x", "one more": "uno más",
               "value {f(1)}": "valor {f(1)}"}

    class Catalog(gettext.NullTranslations):
        def gettext(self, message):
            return catalog.get(message, message)

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    out = translate_notebook(notebook, "es", Catalog()).cells[0].source
    assert '"""Suma uno.\n\n    Returns\n    -------\n    int\n    """' in out
    assert "    # el valor siguiente de x\n    return x + 1  # uno más" in out
    assert 'print(f"valor {f(1)}")' in out
    assert 'print("ab" "cd")' in out  # concatenated literals are code, left alone
    assert ast.dump(ast.parse(out).body[0].body[1]) == ast.dump(ast.parse(source).body[0].body[1])


def test_a_compiled_catalog_reads_like_its_source():
    po = (b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
          b'msgid "shape {got}"\nmsgstr "forma {got}"\n\n#, fuzzy\nmsgid "old"\nmsgstr "viejo"\n')
    catalog = gettext.GNUTranslations(io.BytesIO(student_i18n.compile_po(po)))
    assert catalog.gettext("shape {got}") == "forma {got}"
    assert catalog.gettext("old") == "old", "a fuzzy (stale) translation is never shown"


def test_figure_words_count_in_either_language_and_nothing_else():
    from cnnkit_student.describe import says

    assert says("Pérdida de entrenamiento y validación", "loss")
    assert says("Training and validation LOSS", "loss")
    assert says("Exactitud", "accuracy") and says("precisión", "accuracy")
    assert says("clase predicha", "predicted") and says("Predicted class", "predicted")
    assert says("etiqueta verdadera", "true") and says("Real", "true")
    assert says("embeddings de entrenamiento", "train") and says("de prueba", "test")
    assert not says("Exactitud", "loss") and not says("", "test") and not says(None, "train")
    assert not says("validación", "train"), "validation is not the training split"


def test_the_strongest_channels_title_is_expected_in_the_students_language():
    from cnnkit_student.checks.activations import STRONGEST_SUPTITLES, strongest_expected

    expected = {"strongest": "english figure", "strongest_es": "spanish figure"}
    assert set(STRONGEST_SUPTITLES) == set(i18n.LANGUAGES)
    assert strongest_expected(expected, STRONGEST_SUPTITLES["es"]) == "spanish figure"
    assert strongest_expected(expected, STRONGEST_SUPTITLES["en"]) == "english figure"
    # any other title is compared with the English one (and fails there, saying so)
    assert strongest_expected(expected, "Canales") == "english figure"


def test_the_neuron_heat_maps_may_be_titled_in_either_language():
    import matplotlib.pyplot as plt
    import numpy as np

    from cnnkit_student.checks.activations import (
        HEATMAP_SUPTITLES,
        HEATMAP_TITLES,
        retitle_heatmaps,
        suptitle_language,
    )

    assert set(HEATMAP_SUPTITLES) == set(HEATMAP_TITLES) == set(i18n.LANGUAGES)
    assert suptitle_language(HEATMAP_SUPTITLES["es"], HEATMAP_SUPTITLES) == "es"
    assert suptitle_language("Mapas de calor", HEATMAP_SUPTITLES) == "en"  # then fails there
    figure, axes = plt.subplots(1, 2, squeeze=False)
    image = axes[0, 0].imshow(np.eye(3), cmap="jet")
    figure.colorbar(image, ax=axes[0, 0])
    axes[0, 1].imshow(np.eye(3), cmap="jet")
    statistics = {"mean": np.array([0.5, 0.25, 0.125]), "max": np.array([2.0, 1.0, 3.0])}
    retitle_heatmaps(figure, statistics, [2, 0], "es")
    titles = [ax.get_title() for ax in figure.axes if ax.get_images()]
    assert titles == ["neurona 2\nmedia 0.125, máx. 3.000", "neurona 0\nmedia 0.500, máx. 2.000"]
    assert figure._suptitle.get_text() == HEATMAP_SUPTITLES["es"]
    plt.close(figure)


def test_the_filter_and_activation_figure_may_be_titled_in_either_language():
    import matplotlib.pyplot as plt
    import numpy as np

    from cnnkit_student.checks.activations import (
        PAIRS_SUPTITLES,
        PAIRS_TITLES,
        retitle_pairs,
        suptitle_language,
    )

    assert set(PAIRS_SUPTITLES) == set(PAIRS_TITLES) == set(i18n.LANGUAGES)
    assert suptitle_language(PAIRS_SUPTITLES["es"], PAIRS_SUPTITLES) == "es"
    assert suptitle_language("Filtros", PAIRS_SUPTITLES) == "en"  # then fails there
    figure, axes = plt.subplots(2, 3, squeeze=False)
    for ax in axes.flat:
        ax.imshow(np.eye(3), cmap="gray")
    # columns belong to the channels in the order given, not sorted
    retitle_pairs(figure, [7, 0, 4], "es")
    titles = [[ax.get_title() for ax in row] for row in axes]
    assert titles == [["filtro 7", "filtro 0", "filtro 4"],
                      ["activación 7", "activación 0", "activación 4"]]
    assert figure._suptitle.get_text() == PAIRS_SUPTITLES["es"]
    plt.close(figure)
