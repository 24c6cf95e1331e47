"""Partial example submissions of assignment 04: each is the reference with one realistic
mistake. ``cnnkit release`` writes them to ``examples/04_embeddings/``; the kit's tests
check the exact points each earns."""

from autograder.examples import PartialExample

PARTIAL_EXAMPLES = [
    PartialExample(
        "shuffled_labels",
        "the embeddings come from a shuffling iterator but the labels from iterator.classes",
        {
            "extract_embeddings": """\
    iterator.reset()
    embeddings = np.asarray(extractor.predict(iterator, verbose=0))
    labels = np.asarray(iterator.classes)
    return embeddings.astype(np.float32), labels.astype(np.int64)""",
        },
    ),
    PartialExample(
        "no_component_cap",
        "the PCA keeps n_components as asked, which fails on data with fewer examples",
        {
            "make_embedding_classifier": """\
    pipeline = Pipeline([
        ("scaler", StandardScaler()),
        ("pca", PCA(n_components=n_components, random_state=seed)),
        ("classifier", SVC() if classifier is None else classifier),
    ])
    return pipeline.fit(np.asarray(x_train), np.asarray(y_train))""",
        },
    ),
    PartialExample(
        "pca_refit_on_test",
        "the scatter fits a second PCA on the test embeddings instead of reusing the training one",
        {
            "plot_embeddings_2d": """\
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    parts = [(axes[0], train_embeddings, train_labels, "train"),
             (axes[1], test_embeddings, test_labels, "test")]
    for ax, embeddings, labels, title in parts:
        points = PCA(n_components=2).fit_transform(np.asarray(embeddings))
        ax.scatter(points[:, 0], points[:, 1], c=np.asarray(labels), cmap="tab10", s=10)
        ax.set_title(f"{title} embeddings, first two PCA components")
    fig.tight_layout()
    return fig""",
        },
    ),
]
