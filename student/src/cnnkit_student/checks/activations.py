"""Public checks of assignment 03: looking inside a CNN.

The network is a small CNN with known weights and the input the first training digit, both
shipped in this package's data; every activation the checks hand to a function is frozen
there too, so each check exercises one function only.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from cnnkit_student.checks.common import small_cnn
from cnnkit_student.describe import compare_figures, describe_figure, plot_axes
from cnnkit_student.framework import Assignment, Context, expect, expect_value_error
from cnnkit_student.i18n import _

ASSIGNMENT = Assignment(
    "03_activations", "activations.ipynb",
    ("build_activation_model", "normalize_feature_map", "normalization_grid",
     "plot_normalization_grids", "neuron_statistics", "top_neurons", "minmax_heatmap",
     "overlay_activation", "filter_pictures", "plot_strongest_channels", "select_neurons",
     "plot_neuron_heatmaps", "plot_filters_and_activations"),
)
rubric, requirement = ASSIGNMENT.rubric, ASSIGNMENT.requirement

NAMES = ("conv_1", "pool_1", "conv_2", "pool_2", "flatten", "output")
# Layer names that do not say the layer's type: layers must be chosen by their class.
PLAIN_NAMES = ("first", "second", "third", "fourth", "fifth", "sixth")
NETWORK_SEED = 3
ACTIVATION_ATOL = 1e-5
GREY_LEVELS = 1  # float32 rounding may move a pixel to the next grey level
HEATMAP_ATOL = 1e-5
OVERLAY_ATOL = 0.03  # a value may move to the next colormap entry
STAT_RTOL, STAT_ATOL = 1e-4, 1e-5
SMALL = np.array([[[0.0, 1.0, 2.0], [0.0, 3.0, 0.0]],
                  [[0.0, 0.0, 2.0], [0.0, 4.0, 0.0]]], dtype=np.float32)


def _network(ctx: Context, names: tuple[str, ...] = NAMES):
    return small_cnn((28, 28, 1), names, ctx.expected["network_weights"])


def _activations(ctx: Context) -> tuple[list[np.ndarray], list[str]]:
    return list(ctx.expected["activations"]), list(ctx.expected["layer_names"])


def _check_activation_model(ctx: Context, network, include_pooling: bool, key: str,
                            label: str) -> None:
    import keras

    result = ctx.student.build_activation_model(network, include_pooling=include_pooling)
    expect(isinstance(result, tuple) and len(result) == 2,
           _("for {label}: a pair (activation_model, layer_names) is expected").format(
               label=label))
    model, names = result
    expect(isinstance(model, keras.Model),
           _("for {label}: the first item must be a keras.Model").format(label=label))
    wanted_names = list(ctx.expected[f"{key}_names"])
    expect(list(names) == wanted_names,
           _("for {label}: the layer names should be {expected}, got {got}").format(
               label=label, expected=wanted_names, got=list(names)))
    outputs = model(ctx.expected["public_digit"], training=False)
    outputs = [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple))
                                       else [outputs])]
    wanted = list(ctx.expected[key])
    expect(len(outputs) == len(wanted), _("for {label}: the model has {got} outputs, {expected} "
                                          "expected (one per chosen layer)").format(
        label=label, got=len(outputs), expected=len(wanted)))
    for position, (output, value) in enumerate(zip(outputs, wanted, strict=True), start=1):
        expect(output.shape == value.shape and np.allclose(output, value, atol=ACTIVATION_ATOL),
               _("for {label}: output {position} is not that layer's activation").format(
                   label=label, position=position))


def _check_picture(result: Any, expected: np.ndarray, label: str, what: str) -> None:
    expect(isinstance(result, np.ndarray),
           _("for {label}: an ndarray is expected").format(label=label))
    expect(result.dtype == np.uint8, _("for {label}: dtype uint8 is expected, got {got}").format(
        label=label, got=result.dtype))
    expect(result.shape == expected.shape,
           _("for {label}: shape {expected} is expected, got {got}").format(
               label=label, expected=expected.shape, got=result.shape))
    difference = np.abs(result.astype(np.int64) - expected.astype(np.int64))
    expect(difference.max(initial=0) <= GREY_LEVELS,
           _("for {label}: {count} pixels differ from {what} (by up to {most} grey levels)"
             ).format(label=label, count=int((difference > GREY_LEVELS).sum()), what=what,
                      most=int(difference.max())))


def _check_array(result: Any, expected: np.ndarray, atol: float, label: str, what: str) -> None:
    expect(isinstance(result, np.ndarray),
           _("for {label}: an ndarray is expected").format(label=label))
    expect(result.shape == expected.shape,
           _("for {label}: shape {expected} is expected, got {got}").format(
               label=label, expected=expected.shape, got=result.shape))
    expect(np.all(np.isfinite(result)),
           _("for {label}: the result holds NaN or infinite values").format(label=label))
    difference = float(np.max(np.abs(result.astype(np.float64) - expected), initial=0.0))
    expect(difference <= atol,
           _("for {label}: {what} differs from the expected one (max abs diff {diff:.3g})"
             ).format(label=label, what=what, diff=difference))


# -- build_activation_model ----------------------------------------------------------------
@rubric("build_activation_model", 1,
        "build_activation_model: one output per convolution, in order, and their names.")
def activation_model(ctx: Context) -> None:
    _check_activation_model(ctx, _network(ctx), False, "activations", _("the digit network"))


@requirement("build_activation_model",
             "build_activation_model: adds the pooling layers with include_pooling=True, and "
             "chooses layers by type whatever their names.")
def activation_model_pooling(ctx: Context) -> None:
    _check_activation_model(ctx, _network(ctx, PLAIN_NAMES), True, "pooling",
                            _("layers named first..sixth, include_pooling=True"))


@requirement("build_activation_model",
             "build_activation_model: a model without any convolution raises ValueError.")
def activation_model_no_convolution(ctx: Context) -> None:
    import keras

    dense = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    expect_value_error(lambda: ctx.student.build_activation_model(dense),
                       _("for a model without convolutions"))


# -- normalize_feature_map -----------------------------------------------------------------
@rubric("normalize_feature_map", 1,
        "normalize_feature_map: centred, divided by the standard deviation, x64 +128, clipped, "
        "uint8.")
def normalize_one_channel(ctx: Context) -> None:
    (conv_1, _conv_2), _names = _activations(ctx)
    _check_picture(ctx.student.normalize_feature_map(conv_1[0, :, :, 1]),
                   ctx.expected["normalized_channel"], _("one channel of the digit network"),
                   _("the normalised map"))


@requirement("normalize_feature_map",
             "normalize_feature_map: a constant map becomes 128 everywhere (no NaN from a zero "
             "standard deviation).")
def normalize_constant(ctx: Context) -> None:
    flat = np.full((7, 11), 0.75, dtype=np.float32)
    result = ctx.student.normalize_feature_map(flat)
    expect(isinstance(result, np.ndarray) and result.shape == flat.shape,
           _("an array of the map's shape is expected"))
    expect(np.all(result.astype(np.float64) == 128),
           _("every value should be 128 (mid-grey); when the standard deviation is 0, skip the "
             "division instead of dividing by 0"))


# -- normalization_grid --------------------------------------------------------------------
@rubric("normalization_grid", 1,
        "normalization_grid: channel i at row i // images_per_row, column i % images_per_row.")
def grid_places(ctx: Context) -> None:
    (conv_1, _conv_2), _names = _activations(ctx)
    _check_picture(ctx.student.normalization_grid(conv_1, images_per_row=4),
                   ctx.expected["grid_4"], _("8 channels, 4 per row"), _("the grid"))


@requirement("normalization_grid",
             "normalization_grid: the last row is padded with 0 when the channels do not fill "
             "it, and maps without the batch axis are accepted.")
def grid_padding(ctx: Context) -> None:
    (conv_1, _conv_2), _names = _activations(ctx)
    _check_picture(ctx.student.normalization_grid(conv_1[0], images_per_row=3),
                   ctx.expected["grid_3"], _("8 channels without the batch axis, 3 per row"),
                   _("the grid"))


# -- plot_normalization_grids --------------------------------------------------------------
def _grid_figures(ctx: Context) -> list[dict]:
    from matplotlib.figure import Figure

    activations, names = _activations(ctx)
    result = ctx.student.plot_normalization_grids(activations, names, images_per_row=4)
    expect(isinstance(result, list), _("a list of figures is expected"))
    expect(all(isinstance(f, Figure) for f in result), _("every item should be a Figure"))
    expect(len(result) == len(names),
           _("{expected} figures (one per layer) are expected, got {got}").format(
               expected=len(names), got=len(result)))
    return [describe_figure(f) for f in result]


@rubric("plot_normalization_grids", 1,
        "plot_normalization_grids: one figure per layer, in order, titled with its name.")
def grid_figures_titles(ctx: Context) -> None:
    _activations_found, names = _activations(ctx)
    for figure, name in zip(_grid_figures(ctx), names, strict=True):
        titles = [ax["title"] for ax in figure["axes"]]
        expect(name in titles, _("the figure of layer {name!r} should be titled {name!r}").format(
            name=name))


@requirement("plot_normalization_grids",
             'plot_normalization_grids: each figure shows its grid with cmap="viridis", axis '
             "off, 1.5 * images_per_row by 1.5 * rows inches.")
def grid_figures_layout(ctx: Context) -> None:
    figures = _grid_figures(ctx)
    for number, (figure, wanted) in enumerate(zip(figures, ctx.expected["grid_figures"],
                                                  strict=True), start=1):
        problems = compare_figures(figure, wanted, atol=GREY_LEVELS)
        expect(not problems, _("figure {number}: {problems}").format(
            number=number, problems="; ".join(problems)))
        expect(np.allclose(figure["size_inches"], wanted["size_inches"]),
               _("figure {number}: its size is {got} inches, expected {expected}").format(
                   number=number, got=figure["size_inches"],
                   expected=list(wanted["size_inches"])))


# -- neuron_statistics ---------------------------------------------------------------------
def _check_statistics(result: Any, expected: dict, label: str) -> None:
    expect(isinstance(result, dict), _("for {label}: a dict is expected").format(label=label))
    missing = [key for key in ("mean", "max", "std", "sparsity") if key not in result]
    expect(not missing, _("for {label}: the keys {missing} are missing").format(
        label=label, missing=missing))
    for key in ("mean", "max", "std", "sparsity"):
        values = np.asarray(result[key])
        expect(values.shape == expected[key].shape,
               _("for {label}: {key!r} should hold one value per channel (shape {expected}), "
                 "got shape {got}").format(label=label, key=key, expected=expected[key].shape,
                                           got=values.shape))
        expect(np.allclose(values, expected[key], rtol=STAT_RTOL, atol=STAT_ATOL),
               _("for {label}: {key!r} differs from the expected values").format(label=label,
                                                                                 key=key))


@rubric("neuron_statistics", 1,
        "neuron_statistics: mean, max, standard deviation and sparsity per channel.")
def statistics_small(ctx: Context) -> None:
    expected = {"mean": np.array([0.0, 2.0, 1.0]), "max": np.array([0.0, 4.0, 2.0]),
                "std": np.array([0.0, np.std([1.0, 3.0, 0.0, 4.0]), 1.0]),
                "sparsity": np.array([1.0, 0.25, 0.5])}
    _check_statistics(ctx.student.neuron_statistics(SMALL), expected,
                      _("a 2x2 map with 3 channels"))


@requirement("neuron_statistics",
             "neuron_statistics: every leading axis is pooled (a real layer's activation with "
             "its batch axis).")
def statistics_real(ctx: Context) -> None:
    (_conv_1, conv_2), _names = _activations(ctx)
    _check_statistics(ctx.student.neuron_statistics(conv_2), ctx.expected["statistics_real"],
                      _("the second convolution of the digit network"))


# -- top_neurons ---------------------------------------------------------------------------
def _check_top(result: Any, expected: np.ndarray, label: str) -> None:
    result = np.asarray(result)
    expect(result.dtype.kind in "iu",
           _("for {label}: integer indices are expected").format(label=label))
    expect(result.shape == expected.shape,
           _("for {label}: {expected} indices are expected, got {got}").format(
               label=label, expected=len(expected), got=result.shape))
    expect(np.array_equal(result, expected),
           _("for {label}: not the strongest channels, largest first (equal values: smaller "
             "index first)").format(label=label))


@rubric("top_neurons", 1,
        "top_neurons: the k channels with the largest mean, or max, largest first.")
def top_small(ctx: Context) -> None:
    statistics = {"mean": np.array([0.1, 0.5, 0.3, 0.2]), "max": np.array([2.0, 1.0, 3.0, 0.5]),
                  "std": np.zeros(4), "sparsity": np.zeros(4)}
    _check_top(ctx.student.top_neurons(statistics, k=2), np.array([1, 2]), _("k=2 by mean"))
    _check_top(ctx.student.top_neurons(statistics, k=3, criterion="max"), np.array([2, 0, 1]),
               _("k=3 by max"))


@requirement("top_neurons",
             "top_neurons: equal values keep the smaller index first, k beyond the number of "
             "channels gives them all, an unknown criterion raises ValueError.")
def top_ties(ctx: Context) -> None:
    tied = {"mean": np.array([1.0, 2.0, 2.0, 0.0, 2.0]), "max": np.array([3.0, 3.0, 1.0, 3.0,
                                                                         0.0]),
            "std": np.zeros(5), "sparsity": np.zeros(5)}
    _check_top(ctx.student.top_neurons(tied, k=2), np.array([1, 2]),
               _("k=2 by mean, three ties"))
    _check_top(ctx.student.top_neurons(tied, k=9, criterion="max"), np.array([0, 1, 3, 2, 4]),
               _("k=9 by max on 5 channels"))
    expect_value_error(lambda: ctx.student.top_neurons(tied, k=2, criterion="sparsity"),
                       _("for the criterion 'sparsity'"))


# -- minmax_heatmap ------------------------------------------------------------------------
@requirement("minmax_heatmap",
             "minmax_heatmap: rescaled to [0, 1] by the map's minimum and maximum; zeros for a "
             "constant map.")
def heatmap(ctx: Context) -> None:
    (_conv_1, conv_2), _names = _activations(ctx)
    _check_array(ctx.student.minmax_heatmap(conv_2[0, :, :, 2]), ctx.expected["heatmap"],
                 HEATMAP_ATOL, _("a channel of the second layer"), _("the heat map"))
    _check_array(ctx.student.minmax_heatmap(np.full((5, 4), 3.0)), np.zeros((5, 4)),
                 HEATMAP_ATOL, _("a constant map"), _("the heat map"))


# -- overlay_activation --------------------------------------------------------------------
@rubric("overlay_activation", 1,
        "overlay_activation: an RGB float picture of the image's size, the heat map blended "
        "in.")
def overlay_digit(ctx: Context) -> None:
    (conv_1, _conv_2), _names = _activations(ctx)
    digit = (ctx.expected["public_digit"][0, :, :, 0] * 255).astype(np.uint8)
    _check_array(ctx.student.overlay_activation(digit, conv_1[0, :, :, 3]),
                 ctx.expected["overlay"], OVERLAY_ATOL,
                 _("a grayscale uint8 digit and a 26x26 map"), _("the overlay"))


@requirement("overlay_activation",
             "overlay_activation: a float image in [0, 1] with another colormap and alpha.")
def overlay_options(ctx: Context) -> None:
    (_conv_1, conv_2), _names = _activations(ctx)
    image = np.repeat(ctx.expected["public_digit"][0], 3, axis=-1).astype(np.float64)
    _check_array(ctx.student.overlay_activation(image, conv_2[0, :, :, 1], colormap="viridis",
                                                alpha=0.3),
                 ctx.expected["overlay_options"], OVERLAY_ATOL,
                 _("a float RGB digit, an 11x11 map, viridis, alpha 0.3"), _("the overlay"))


# -- filter_pictures -----------------------------------------------------------------------
@rubric("filter_pictures", 1,
        "filter_pictures: one picture (kh, kw) per filter for a layer with one input channel.")
def filters_grey(ctx: Context) -> None:
    kernel = ctx.expected["network_weights"][0]
    _check_array(ctx.student.filter_pictures(kernel), ctx.expected["filters_grey"],
                 HEATMAP_ATOL, _("the first layer of the digit network"),
                 _("a filter picture"))


@requirement("filter_pictures",
             "filter_pictures: RGB pictures for 3 input channels, the mean over input channels "
             "otherwise, each filter rescaled on its own.")
def filters_rgb(ctx: Context) -> None:
    _check_array(ctx.student.filter_pictures(_rgb_kernel()), ctx.expected["filters_rgb"],
                 HEATMAP_ATOL, _("a 3x3 kernel with 3 input channels and 4 filters"),
                 _("a filter picture"))
    kernel = ctx.expected["network_weights"][2]
    _check_array(ctx.student.filter_pictures(kernel), ctx.expected["filters_mean"],
                 HEATMAP_ATOL, _("the second layer of the digit network (8 input channels)"),
                 _("a filter picture"))


def _rgb_kernel() -> np.ndarray:
    kernel = np.random.default_rng(12).normal(size=(3, 3, 3, 4)).astype(np.float32)
    kernel[..., 3] = 0.5  # a constant filter: zeros
    return kernel


# -- plot_strongest_channels ---------------------------------------------------------------
#: The suptitle the contract gives this figure, in each of the course's languages: a student
#: of the Spanish course writes the Spanish one, and either is the expected title.
STRONGEST_SUPTITLES = {"en": "Strongest channels by mean activation",
                       "es": "Canales más fuertes por activación media"}


def suptitle_language(student_suptitle: str | None, suptitles: dict[str, str]) -> str:
    """The course language whose contract suptitle (``suptitles``: language -> title) a
    student's figure has; English otherwise (the figure is then compared with the English
    reference, and its title is reported as different)."""
    for lang, title in suptitles.items():
        if student_suptitle == title:
            return lang
    return "en"


def size_problems(figure: dict, expected: dict) -> list[str]:
    """The figure's size against the expected one (where the contract fixes figsize)."""
    if np.allclose(figure.get("size_inches", []), expected["size_inches"]):
        return []
    return [_("the figure is {got} inches, expected {expected} (figsize)").format(
        got=figure.get("size_inches"), expected=list(expected["size_inches"]))]


def strongest_expected(expected: Any, student_suptitle: str | None) -> dict:
    """The frozen reference figure titled as the student titled theirs, when that is one of
    the contract's titles (the English one otherwise)."""
    lang = suptitle_language(student_suptitle, STRONGEST_SUPTITLES)
    return expected["strongest" if lang == "en" else f"strongest_{lang}"]


@rubric("plot_strongest_channels", 1,
        'plot_strongest_channels: one row per layer, k heat maps per row, titled "<layer> '
        '#<channel>".')
def strongest(ctx: Context) -> None:
    from matplotlib.figure import Figure

    activations, names = _activations(ctx)
    result = ctx.student.plot_strongest_channels(activations, names, k=3)
    expect(isinstance(result, Figure),
           _("plot_strongest_channels must return a matplotlib Figure"))
    figure = describe_figure(result)
    expected = strongest_expected(ctx.expected, figure.get("suptitle"))
    expect(len(plot_axes(figure)) == len(plot_axes(expected)),
           _("{expected} axes (2 layers x 3 channels) are expected, got {got}").format(
               expected=len(plot_axes(expected)), got=len(plot_axes(figure))))
    problems = compare_figures(figure, expected, atol=HEATMAP_ATOL)
    expect(not problems, "; ".join(problems))


# -- select_neurons ------------------------------------------------------------------------
#: Ten channels whose rankings by mean and by max overlap, with ties and values on the
#: default thresholds (0.3, 2.0) of the "interesting" strategy.
CHOICE_STATISTICS = {"mean": np.array([0.5, 0.1, 0.9, 0.3, 0.7, 0.9, 0.05, 0.31, 0.2, 0.6]),
                     "max": np.array([2.5, 3.0, 1.9, 2.0, 4.0, 2.01, 5.0, 2.2, 2.0, 3.0]),
                     "std": np.zeros(10), "sparsity": np.zeros(10)}


def _check_choice(result: Any, expected: list[int], label: str) -> None:
    result = np.asarray(result)
    expect(result.dtype.kind in "iu",
           _("for {label}: integer indices are expected").format(label=label))
    expect(result.shape == (len(expected),),
           _("for {label}: {expected} indices are expected, got {got}").format(
               label=label, expected=len(expected), got=result.shape))
    expect(result.tolist() == expected,
           _("for {label}: not the channels the strategy chooses, or not in its order").format(
               label=label))


@rubric("select_neurons", 1,
        'select_neurons: "top_mean", "top_max" and "manual" (repeats dropped, cut to count).')
def choice_simple(ctx: Context) -> None:
    choose = ctx.student.select_neurons
    _check_choice(choose(CHOICE_STATISTICS, "top_mean", count=4), [2, 5, 4, 9],
                  _('"top_mean", count=4'))
    _check_choice(choose(CHOICE_STATISTICS, "top_max", count=4), [6, 4, 1, 9],
                  _('"top_max", count=4'))
    _check_choice(choose(CHOICE_STATISTICS, "manual", count=3, manual=[7, 2, 7, 0, 9]),
                  [7, 2, 0], _('"manual" with a repeated channel, count=3'))


@requirement("select_neurons",
             'select_neurons: "mixed" without repeats, "interesting" with both thresholds '
             "strictly exceeded, and ValueError for an unknown strategy.")
def choice_combined(ctx: Context) -> None:
    choose = ctx.student.select_neurons
    _check_choice(choose(CHOICE_STATISTICS, "mixed", count=6), [2, 5, 4, 6, 1, 9],
                  _('"mixed", count=6'))
    _check_choice(choose(CHOICE_STATISTICS, "interesting"), [0, 4, 5, 7, 9],
                  _('"interesting" with the default thresholds'))
    expect_value_error(lambda: choose(CHOICE_STATISTICS, "strongest"),
                       _("for the strategy 'strongest'"))


# -- plot_neuron_heatmaps ------------------------------------------------------------------
#: The words the contract gives this figure, in each of the course's languages: the suptitle
#: and each heat map's title (a student of the Spanish course writes the Spanish ones, the
#: whole figure in one language).
HEATMAP_SUPTITLES = {"en": "Heat maps of the selected neurons",
                     "es": "Mapas de calor de las neuronas elegidas"}
HEATMAP_TITLES = {"en": "neuron {neuron}\nmean {mean:.3f}, max {max:.3f}",
                  "es": "neurona {neuron}\nmedia {mean:.3f}, máx. {max:.3f}"}
#: The public check's channels of the digit network's second layer, and columns.
HEATMAP_NEURONS, HEATMAP_COLUMNS = [5, 0, 11, 3, 8], 3


def retitle_heatmaps(figure: Any, statistics: dict, neurons: Any, lang: str) -> None:
    """Write a reference heat-map figure's suptitle and titles in ``lang`` (in place)."""
    maps = [ax for ax in figure.axes if not hasattr(ax, "_colorbar")
            and ax.get_label() != "<colorbar>"]
    for ax, neuron in zip(maps, neurons, strict=True):
        ax.set_title(HEATMAP_TITLES[lang].format(neuron=int(neuron),
                                                 mean=statistics["mean"][int(neuron)],
                                                 max=statistics["max"][int(neuron)]))
    figure.suptitle(HEATMAP_SUPTITLES[lang])


def heatmap_problems(figure: dict, expected: dict, neurons: Any) -> list[str]:
    """What a heat-map figure lacks besides what ``compare_figures`` sees: its size, and one
    colour bar beside each heat map, in that map's cell."""
    problems = size_problems(figure, expected)

    def cells(axes: list[dict], bars: bool) -> list:
        return sorted((ax["grid"]["row"], ax["grid"]["col"]) for ax in axes
                      if ax["is_colorbar"] == bars and ax["visible"] and ax["grid"])

    bars, maps = cells(figure["axes"], True), cells(figure["axes"], False)
    if len(bars) != len(neurons) or bars != maps:
        problems.append(_("{got} colour bars, expected one beside each of the {expected} heat "
                          "maps, in its cell").format(got=len(bars), expected=len(neurons)))
    return problems


@rubric("plot_neuron_heatmaps", 1,
        "plot_neuron_heatmaps: a heat map per chosen neuron, columns to a row, each with a "
        "colour bar and its mean and max in the title.")
def neuron_heatmaps(ctx: Context) -> None:
    from matplotlib.figure import Figure

    (_conv_1, conv_2), _names = _activations(ctx)
    result = ctx.student.plot_neuron_heatmaps(conv_2, ctx.expected["statistics_real"],
                                              HEATMAP_NEURONS, columns=HEATMAP_COLUMNS)
    expect(isinstance(result, Figure), _("plot_neuron_heatmaps must return a matplotlib Figure"))
    figure = describe_figure(result)
    lang = suptitle_language(figure.get("suptitle"), HEATMAP_SUPTITLES)
    expected = ctx.expected["heatmaps" if lang == "en" else f"heatmaps_{lang}"]
    problems = compare_figures(figure, expected, atol=HEATMAP_ATOL, rms_tolerance=None)
    problems += heatmap_problems(figure, expected, HEATMAP_NEURONS)
    expect(not problems, "; ".join(problems))


# -- plot_filters_and_activations ----------------------------------------------------------
#: The words the contract gives this figure in each of the course's languages: the suptitle,
#: and the titles of a channel's filter (top row) and of its activation map (bottom row).
PAIRS_SUPTITLES = {"en": "Filters and the activation maps they produce",
                   "es": "Filtros y los mapas de activación que producen"}
PAIRS_TITLES = {"en": ("filter {channel}", "activation {channel}"),
                "es": ("filtro {channel}", "activación {channel}")}
#: The public check's channels of the digit network's second layer: not in increasing order,
#: so that a figure sorting them, or pairing a filter with another channel's map, differs.
PAIRS_CHANNELS = [9, 1, 6]


def retitle_pairs(figure: Any, channels: Any, lang: str) -> None:
    """Write a reference filter/activation figure's titles and suptitle in ``lang`` (in
    place): column ``i`` belongs to ``channels[i]``."""
    top, bottom = PAIRS_TITLES[lang]
    grid = [[ax for ax in figure.axes if ax.get_subplotspec().rowspan.start == row]
            for row in (0, 1)]
    for row, title in ((0, top), (1, bottom)):
        for ax, channel in zip(sorted(grid[row], key=lambda a: a.get_subplotspec().colspan.start),
                               channels, strict=True):
            ax.set_title(title.format(channel=int(channel)))
    figure.suptitle(PAIRS_SUPTITLES[lang])


@rubric("plot_filters_and_activations", 1,
        "plot_filters_and_activations: each chosen channel's filter above its activation map, "
        "in the order given, titled with the channel.")
def filters_and_activations(ctx: Context) -> None:
    from matplotlib.figure import Figure

    (_conv_1, conv_2), _names = _activations(ctx)
    kernel = ctx.expected["network_weights"][2]
    result = ctx.student.plot_filters_and_activations(kernel, conv_2, PAIRS_CHANNELS)
    expect(isinstance(result, Figure),
           _("plot_filters_and_activations must return a matplotlib Figure"))
    figure = describe_figure(result)
    lang = suptitle_language(figure.get("suptitle"), PAIRS_SUPTITLES)
    expected = ctx.expected["pairs" if lang == "en" else f"pairs_{lang}"]
    problems = compare_figures(figure, expected, atol=HEATMAP_ATOL, rms_tolerance=None)
    problems += size_problems(figure, expected)
    expect(not problems, "; ".join(problems))


@requirement("plot_filters_and_activations",
             "plot_filters_and_activations: ValueError for a channel that the layer does not "
             "have.")
def filters_and_activations_errors(ctx: Context) -> None:
    (_conv_1, conv_2), _names = _activations(ctx)
    kernel = ctx.expected["network_weights"][2]
    channels = conv_2.shape[-1]
    expect_value_error(
        lambda: ctx.student.plot_filters_and_activations(kernel, conv_2, [0, channels]),
        _("for a channel equal to the number of channels"))


# -- frozen values -------------------------------------------------------------------------
def freeze(reference: Any, sources: Any) -> dict[str, Any]:
    """The expected values of these checks, computed by the reference at release time.

    Parameters
    ----------
    reference : module
        The reference solution's functions (in the instructor's process only).
    sources : object
        ``activation_network(seed)`` (the kit's seeded network's weights) and
        ``mnist_digits(n)``.

    Returns
    -------
    dict
        Plain data, written into this package.
    """
    import matplotlib.pyplot as plt

    weights = [np.asarray(w, dtype=np.float32) for w in sources.activation_network(NETWORK_SEED)]
    digit = (np.asarray(sources.mnist_digits(1))[:, :, :, None] / 255.0).astype(np.float32)

    def run(names: tuple[str, ...], include_pooling: bool) -> tuple[list, list]:
        model, chosen = reference.build_activation_model(small_cnn((28, 28, 1), names, weights),
                                                         include_pooling)
        with warnings.catch_warnings():  # Keras notes the input given as a bare tensor
            warnings.simplefilter("ignore")
            outputs = model(digit, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return [np.asarray(o) for o in outputs], list(chosen)

    activations, names = run(NAMES, False)
    pooling, pooling_names = run(PLAIN_NAMES, True)
    conv_1, conv_2 = activations
    grid_figures = [describe_figure(f) for f in
                    reference.plot_normalization_grids(activations, names, 4)]
    strongest_figure = describe_figure(reference.plot_strongest_channels(activations, names, 3))
    retitled = {}
    for lang, title in STRONGEST_SUPTITLES.items():
        if lang != "en":
            figure = reference.plot_strongest_channels(activations, names, 3)
            figure.suptitle(title)
            retitled[f"strongest_{lang}"] = describe_figure(figure)
    statistics_real = reference.neuron_statistics(conv_2)
    heatmaps = {}
    for lang in HEATMAP_SUPTITLES:
        figure = reference.plot_neuron_heatmaps(conv_2, statistics_real, HEATMAP_NEURONS,
                                                HEATMAP_COLUMNS)
        if lang != "en":
            retitle_heatmaps(figure, statistics_real, HEATMAP_NEURONS, lang)
        heatmaps["heatmaps" if lang == "en" else f"heatmaps_{lang}"] = describe_figure(figure)
    pairs = {}
    for lang in PAIRS_SUPTITLES:
        figure = reference.plot_filters_and_activations(weights[2], conv_2, PAIRS_CHANNELS)
        if lang != "en":
            retitle_pairs(figure, PAIRS_CHANNELS, lang)
        pairs["pairs" if lang == "en" else f"pairs_{lang}"] = describe_figure(figure)
    plt.close("all")
    image = np.repeat(digit[0], 3, axis=-1).astype(np.float64)
    return {
        "network_weights": weights,
        "public_digit": digit,
        "activations": activations,
        "layer_names": names,
        "activations_names": names,
        "pooling": pooling,
        "pooling_names": pooling_names,
        "normalized_channel": reference.normalize_feature_map(conv_1[0, :, :, 1]),
        "grid_4": reference.normalization_grid(conv_1, 4),
        "grid_3": reference.normalization_grid(conv_1[0], 3),
        "grid_figures": grid_figures,
        "statistics_real": statistics_real,
        "heatmap": reference.minmax_heatmap(conv_2[0, :, :, 2]),
        "overlay": reference.overlay_activation((digit[0, :, :, 0] * 255).astype(np.uint8),
                                                conv_1[0, :, :, 3]),
        "overlay_options": reference.overlay_activation(image, conv_2[0, :, :, 1], "viridis",
                                                        0.3),
        "filters_grey": reference.filter_pictures(weights[0]),
        "filters_rgb": reference.filter_pictures(_rgb_kernel()),
        "filters_mean": reference.filter_pictures(weights[2]),
        "strongest": strongest_figure,
        **retitled,
        **heatmaps,
        **pairs,
    }
