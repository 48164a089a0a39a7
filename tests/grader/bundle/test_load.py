"""Loading a bundle: cross-file checks name each problem's place, and the bundle's code is never run."""

from __future__ import annotations

import io
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from grader.bundle import Bundle, BundleError, bundle_from_files, load_bundle, load_bundle_zip, local_seed_key
from grader.bundle._archive import read_folder

BUNDLES = Path(__file__).resolve().parents[2] / "bundles"
Files = dict[str, bytes]


def layers() -> Files:
    return read_folder(BUNDLES / "toy-layers")


def classifier() -> Files:
    return read_folder(BUNDLES / "toy-classifier")


def toml_edit(old: str, new: str) -> Callable[[Files], None]:
    """An edit of problem.toml's text; `old` must be there, so a changed fixture fails loudly."""

    def change(files: Files) -> None:
        text = files["problem.toml"].decode()
        assert old in text, f"fixture no longer contains {old!r}"
        files["problem.toml"] = text.replace(old, new, 1).encode()

    return change


def put(name: str, content: bytes) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        files[name] = content

    return change


def remove(name: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        del files[name]

    return change


def errors_of(files: Files) -> list[str]:
    with pytest.raises(BundleError) as info:
        bundle_from_files(files, "test")
    assert str(info.value) == "\n".join(info.value.errors)
    return info.value.errors


def zip_of(files: Files, folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(folder + name, content)
    return buffer.getvalue()


def npz_of(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


# --- the example bundles load ----------------------------------------------------------------


def test_the_toy_layers_bundle_loads_from_its_folder() -> None:
    bundle = load_bundle(BUNDLES / "toy-layers")
    assert bundle.slug == "toy-layers"
    assert [t.name for t in bundle.spec.tests] == [
        "relu_forward_small",
        "relu_backward_small",
        "mse_small",
        "mse_hidden",
    ]
    assert bundle.submitted_files == ["toy.py"]
    assert bundle.statement.strip()
    assert set(bundle.folder("solution")) == {"toy.py"}
    assert set(bundle.folder("mistakes/")) == {"mse_sum.py", "relu_mask_from_dout.py"}
    assert bundle.test("mse_hidden").visible is False
    assert bundle.mistake_module(bundle.spec.mistakes[0]) == "toy.py"
    assert [t.name for t in bundle.tests_matching(["relu_*"])] == ["relu_forward_small", "relu_backward_small"]


def test_the_toy_classifier_bundle_loads_with_its_data() -> None:
    bundle = load_bundle(BUNDLES / "toy-classifier")
    arrays = bundle.data("data/blobs.npz")
    assert set(arrays) == {"X_train", "y_train", "X_test", "y_test"}
    assert arrays["X_train"].shape == (150, 2)
    assert bundle.data_spec("data/blobs.npz").secret == ["y_test"]
    assert bundle.data_spec("data/other.npz").secret == []
    assert [t.name for t in bundle.tests_matching(["*"])] == ["softmax_small", "softmax_large_logits"]


def test_a_bundle_loads_the_same_from_a_zip_as_from_its_folder(tmp_path: Path) -> None:
    folder = load_bundle(BUNDLES / "toy-layers")
    path = tmp_path / "toy.zip"
    path.write_bytes(zip_of(layers(), folder="toy-layers/"))
    from_path = load_bundle(path)
    from_bytes = load_bundle_zip(zip_of(layers()), source="upload.zip")
    assert from_path.digest == from_bytes.digest == folder.digest
    assert from_bytes.source == "upload.zip"


def test_loading_never_imports_or_runs_the_bundles_code() -> None:
    files = layers()
    trap = b"raise SystemExit('the loader ran bundle code')\n"
    for name in ("cases.py", "driver.py", "solution/toy.py", "mistakes/mse_sum.py"):
        files[name] = trap + files[name]
    before = set(sys.modules)
    bundle = bundle_from_files(files, "test")
    assert bundle.slug == "toy-layers"
    assert {"cases", "driver", "toy", "gradelib"} & (set(sys.modules) - before) == set()


# --- each malformed bundle gives its own error ------------------------------------------------

LAYERS_ERRORS = {
    "case_not_a_function": (
        toml_edit('case = "mse"', 'case = "nope"'),
        ["problem.toml: tests[2].case 'nope' is not a function in cases.py"],
    ),
    "case_is_a_variable_not_a_function": (
        put("cases.py", b"import numpy as np\n\nrelu = None\n\ndef mse(rng, n=4, k=3):\n    return {}\n"),
        [
            "problem.toml: tests[0].case 'relu' is not a function in cases.py",
            "problem.toml: tests[1].case 'relu' is not a function in cases.py",
        ],
    ),
    "driver_not_a_function": (
        toml_edit('function = "mse_loss"', 'function = "mse_loss"\ndriver = "nope"'),
        ["problem.toml: tests[2].driver 'nope' is not a function in driver.py"],
    ),
    "driver_defaults_to_a_missing_function": (
        toml_edit('function = "relu_forward"', 'function = "relu_fwd"'),
        ["problem.toml: tests[0].driver 'relu_fwd' is not a function in driver.py"],
    ),
    "missing_solution_file": (remove("solution/toy.py"), ["solution/toy.py is missing: `files` lists 'toy.py'"]),
    "missing_starter_file": (remove("starter/toy.py"), ["starter/toy.py is missing: `files` lists 'toy.py'"]),
    "missing_driver": (remove("driver.py"), ["driver.py is missing from the bundle's top level"]),
    "missing_cases": (remove("cases.py"), ["cases.py is missing from the bundle's top level"]),
    "missing_statement": (remove("statement.md"), ["problem.toml: statement 'statement.md' is not in the bundle"]),
    "mistake_file_missing": (
        remove("mistakes/mse_sum.py"),
        ["problem.toml: mistakes[1].file 'mistakes/mse_sum.py' is not in the bundle"],
    ),
    "mistake_module_not_submitted": (
        toml_edit('file = "mistakes/mse_sum.py"', 'file = "mistakes/mse_sum.py"\nmodule = "other.py"'),
        ["problem.toml: mistakes[1].module 'other.py' is not one of the submitted files ['toy.py']"],
    ),
    "optional_mistake_module_without_reference": (
        lambda f: [
            toml_edit('files = ["toy.py"]', 'files = ["toy.py"]\noptional_files = ["extra.py"]')(f),
            toml_edit('file = "mistakes/mse_sum.py"', 'file = "mistakes/mse_sum.py"\nmodule = "extra.py"')(f),
        ],
        ["problem.toml: mistakes[1].module 'extra.py' has no reference in solution/"],
    ),
    "breaks_matches_no_test": (
        toml_edit('breaks = ["mse_*"]', 'breaks = ["mse_*", "softmax*"]'),
        ["problem.toml: mistakes[1].breaks 'softmax*' matches no unit test"],
    ),
    "python_file_not_utf8": (put("starter/toy.py", b"# caf\xe9\n"), ["starter/toy.py: not UTF-8 text"]),
    "statement_not_utf8": (put("statement.md", b"\xff\xfe caf\xe9"), ["statement.md: not UTF-8 text"]),
    "support_file_named_like_a_submitted_file": (
        put("support/toy.py", b"x = 1\n"),
        ["support/toy.py: a support file cannot have the name of a submitted file"],
    ),
    "support_file_with_a_reserved_name": (
        put("support/gradelib.py", b"x = 1\n"),
        ["support/gradelib.py: this name is reserved by the grader"],
    ),
    "support_file_named_like_a_part_of_the_harness": (
        put("support/harness_relay.py", b"x = 1\n"),
        ["support/harness_relay.py: this name is reserved by the grader"],
    ),
    "missing_problem_toml": (remove("problem.toml"), ["problem.toml is missing from the bundle's top level"]),
    "invalid_toml": (
        put("problem.toml", b'slug = "toy"\ntitle = \n'),
        ["problem.toml: not valid TOML (Invalid value (at line 2, column 9))"],
    ),
    "problem_toml_not_utf8": (put("problem.toml", b'slug = "caf\xe9"\n'), ["problem.toml: not UTF-8 text"]),
    "schema_error_inside_the_bundle": (
        toml_edit("points = 2\n[tests.diagnose]", "points = 0\n[tests.diagnose]"),
        ["problem.toml: tests[1].points must be > 0"],
    ),
}


@pytest.mark.parametrize(("change", "expected"), LAYERS_ERRORS.values(), ids=LAYERS_ERRORS.keys())
def test_each_broken_reference_in_toy_layers_is_reported_with_its_place(
    change: Callable[[Files], None], expected: list[str]
) -> None:
    files = layers()
    change(files)
    assert errors_of(files) == expected


CLASSIFIER_ERRORS = {
    "data_file_missing": (
        remove("data/blobs.npz"),
        [
            "problem.toml: tests[2].data 'data/blobs.npz' is not in the bundle",
            "problem.toml: data[0].file 'data/blobs.npz' is not in the bundle",
        ],
    ),
    "secret_array_not_in_the_npz": (
        toml_edit('secret = ["y_test"]', 'secret = ["y_test", "w_true"]'),
        ["problem.toml: data[0].secret 'w_true' is not an array in data/blobs.npz"],
    ),
    "labels_not_marked_secret": (
        toml_edit('secret = ["y_test"]', "secret = []"),
        ["problem.toml: tests[2].labels 'y_test' must be listed as secret in [[data]] for 'data/blobs.npz'"],
    ),
    "data_file_not_listed_under_data": (
        toml_edit('[[data]]\nfile = "data/blobs.npz"\nsecret = ["y_test"]\n', ""),
        ["problem.toml: tests[2].labels 'y_test' must be listed as secret in [[data]] for 'data/blobs.npz'"],
    ),
    "thresholds_not_descending": (
        toml_edit(
            "{ accuracy = 0.9, fraction = 1.0 }, { accuracy = 0.6, fraction = 0.5 }",
            "{ accuracy = 0.6, fraction = 0.5 }, { accuracy = 0.9, fraction = 1.0 }",
        ),
        ["problem.toml: tests[2].thresholds must be listed from the highest accuracy down"],
    ),
    "missing_data_md": (
        remove("DATA.md"),
        ["DATA.md is missing: say where the data came from and under which licence"],
    ),
    "data_with_an_object_array": (
        put("data/blobs.npz", npz_of(X_test=np.array([{"a": 1}], dtype=object), y_test=np.zeros(3))),
        ["data/blobs.npz: array 'X_test' has dtype object; only bool, integer and float arrays are allowed"],
    ),
    "data_not_an_npz": (put("data/blobs.npz", b"x,y\n1,2\n"), ["data/blobs.npz: not an .npz file (not a zip archive)"]),
}


@pytest.mark.parametrize(("change", "expected"), CLASSIFIER_ERRORS.values(), ids=CLASSIFIER_ERRORS.keys())
def test_each_data_problem_in_toy_classifier_is_reported_with_its_place(
    change: Callable[[Files], None], expected: list[str]
) -> None:
    files = classifier()
    change(files)
    assert errors_of(files) == expected


def test_independent_cross_file_problems_are_all_reported_at_once() -> None:
    files = layers()
    toml_edit('case = "mse"', 'case = "nope"')(files)
    toml_edit('breaks = ["mse_*"]', 'breaks = ["nothing*"]')(files)
    del files["starter/toy.py"]
    del files["mistakes/relu_mask_from_dout.py"]
    files["statement.md"] = b"\xff"
    files["support/driver.py"] = b""
    files["mistakes/mse_sum.py"] = b"def mse_loss(pred, target:\n"
    errors = errors_of(files)
    syntax = [e for e in errors if e.startswith("mistakes/mse_sum.py line 1: ")]
    assert len(syntax) == 1
    assert sorted(set(errors) - set(syntax)) == sorted(
        [
            "statement.md: not UTF-8 text",
            "starter/toy.py is missing: `files` lists 'toy.py'",
            "support/driver.py: this name is reserved by the grader",
            "problem.toml: tests[2].case 'nope' is not a function in cases.py",
            "problem.toml: mistakes[0].file 'mistakes/relu_mask_from_dout.py' is not in the bundle",
            "problem.toml: mistakes[1].breaks 'nothing*' matches no unit test",
        ]
    )


@pytest.mark.parametrize("name", ["solution/toy.py", "starter/toy.py", "mistakes/mse_sum.py", "driver.py"])
def test_a_syntax_error_names_the_file_and_the_line(name: str) -> None:
    files = layers()
    files[name] = b"import numpy as np\n\n\ndef relu_forward(x y):\n    pass\n"
    (error,) = errors_of(files)
    assert error.startswith(f"{name} line 4: invalid syntax"), error  # Python's own words follow


def test_a_syntax_error_in_cases_is_reported_once_not_again_for_every_test() -> None:
    files = layers()
    files["cases.py"] = b"import numpy as np\n\n\ndef relu(rng shape):\n    pass\n"
    (error,) = errors_of(files)
    assert error.startswith("cases.py line 4: invalid syntax"), error


def test_a_missing_solution_is_reported_once_not_again_for_every_mistake() -> None:
    files = layers()
    del files["solution/toy.py"]
    assert errors_of(files) == ["solution/toy.py is missing: `files` lists 'toy.py'"]


def test_a_bundle_of_accuracy_tests_only_needs_no_cases_file() -> None:
    files = classifier()
    text = files["problem.toml"].decode()
    start = text.index("[[tests]]")
    accuracy = text.index('[[tests]]\nname = "train_accuracy"')
    end = text.index("[[mistakes]]")
    files["problem.toml"] = (text[:start] + text[accuracy:end]).encode()
    del files["cases.py"]
    assert [t.name for t in bundle_from_files(files, "test").spec.tests] == ["train_accuracy"]


def test_a_missing_folder_is_a_bundle_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError) as info:
        load_bundle(tmp_path / "nowhere")
    assert info.value.errors == [f"{tmp_path / 'nowhere'}: not a folder"]


def test_a_tar_upload_is_a_bundle_error_saying_it_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "toy.tar"
    with tarfile.open(path, "w") as archive:
        for name, content in layers().items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    with pytest.raises(BundleError) as info:
        load_bundle(path)
    assert len(info.value.errors) == 1
    assert info.value.errors[0].startswith("the upload is not a valid zip file")


def test_a_hostile_zip_upload_is_a_bundle_error_not_a_crash() -> None:
    with pytest.raises(BundleError) as info:
        load_bundle_zip(zip_of({"problem.toml": b"", "../escape.py": b""}))
    assert info.value.errors == ["'../escape.py': '..' and empty path segments are not allowed"]


def test_an_empty_zip_is_a_bundle_without_problem_toml() -> None:
    with pytest.raises(BundleError) as info:
        load_bundle_zip(zip_of({}))
    assert info.value.errors == ["problem.toml is missing from the bundle's top level"]


# --- digest and seeds -------------------------------------------------------------------------


def load_layers(files: Files | None = None) -> Bundle:
    return bundle_from_files(files if files is not None else layers(), "test")


@pytest.mark.parametrize("name", sorted(layers()))
def test_the_digest_changes_when_any_file_changes(name: str) -> None:
    files = layers()
    before = load_layers(files).digest
    files[name] = files[name] + b"\n# changed\n"
    assert load_layers(files).digest != before


def test_the_digest_changes_when_a_file_is_added_or_renamed() -> None:
    files = layers()
    before = load_layers(files).digest
    added = dict(files, **{"support/helpers.py": b""})
    renamed = dict(files)
    renamed["mistakes/mse_as_sum.py"] = renamed.pop("mistakes/mse_sum.py")
    toml_edit('file = "mistakes/mse_sum.py"', 'file = "mistakes/mse_as_sum.py"')(renamed)
    digests = {before, load_layers(added).digest, load_layers(renamed).digest}
    assert len(digests) == 3


def test_the_digest_does_not_depend_on_the_order_files_were_read() -> None:
    files = layers()
    backwards = dict(reversed(list(files.items())))
    assert load_layers(files).digest == load_layers(backwards).digest


def test_seeds_are_stable_across_loads() -> None:
    first, second = load_layers(), load_layers()
    assert [first.seed_for(t) for t in first.spec.tests] == [second.seed_for(t) for t in second.spec.tests]


def test_seeds_differ_per_test_and_fit_a_signed_64_bit_integer() -> None:
    bundle = load_layers()
    seeds = [bundle.seed_for(t) for t in bundle.spec.tests]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= s < 2**63 for s in seeds)


KEY = bytes(range(32))


def seeds_of(bundle: Bundle, key: bytes = KEY) -> dict[str, int]:
    return {t.name: bundle.seed_for(t, key) for t in bundle.spec.tests}


@pytest.mark.parametrize(
    "edit",
    [
        toml_edit("points = 2", "points = 7"),
        toml_edit("[limits]", "[tolerance]\nrtol = 1e-3\n\n[limits]"),
        toml_edit('version = "1"', 'version = "2"'),
        lambda files: files.update({"statement.md": files["statement.md"] + b"\nA clarification.\n"}),
        lambda files: files.update({"cases.py": files["cases.py"] + b"\n# a comment\n"}),
        lambda files: files.update({"solution/toy.py": files["solution/toy.py"] + b"\n"}),
    ],
    ids=["points", "tolerance", "version-label", "statement", "cases-file", "solution"],
)
def test_seeds_do_not_change_when_another_part_of_the_bundle_changes(edit: Callable[[Files], None]) -> None:
    files = layers()
    before = load_layers(files)
    edit(files)
    after = load_layers(files)
    assert after.digest != before.digest
    assert seeds_of(after) == seeds_of(before)


def test_seeds_depend_on_the_problems_seed_key() -> None:
    bundle = load_layers()
    other = seeds_of(bundle, bytes(32))
    assert all(other[name] != seed for name, seed in seeds_of(bundle).items())


def test_without_a_seed_key_the_documented_local_key_of_the_slug_is_used() -> None:
    bundle = load_layers()
    local = {t.name: bundle.seed_for(t) for t in bundle.spec.tests}
    assert local == seeds_of(bundle, local_seed_key("toy-layers"))
    assert local != seeds_of(bundle)


def test_a_seed_key_shorter_than_16_bytes_is_refused() -> None:
    bundle = load_layers()
    with pytest.raises(ValueError, match="at least 16 bytes"):
        bundle.seed_for(bundle.test("mse_small"), b"short")


def test_a_tests_own_seed_draws_new_inputs_for_that_test_alone() -> None:
    files = layers()
    before = seeds_of(load_layers(files))
    toml_edit('name = "mse_small"', 'name = "mse_small"\nseed = 1234')(files)
    with_seed = seeds_of(load_layers(files))
    assert with_seed["mse_small"] != before["mse_small"]
    assert {k: v for k, v in with_seed.items() if k != "mse_small"} == {
        k: v for k, v in before.items() if k != "mse_small"
    }
    toml_edit("seed = 1234", "seed = 1235")(files)
    assert seeds_of(load_layers(files))["mse_small"] not in {with_seed["mse_small"], before["mse_small"]}
    assert 1234 not in with_seed.values()  # the seed is mixed with the key, never used as given
